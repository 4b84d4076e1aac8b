"""Other actors in the line of sight: the clear chance against the Poisson closed form, the heights at
which a line passes over its occluders, and a run's own traffic hiding nothing from a lone actor."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from perception.bev import BevGrid
from sim.coverage.crowding import BLOCK, SIGHTLINES, SMOOTH_M, STEP_M, Crowd, Sightline
from sim.coverage.detection_rates import DetectionRates
from sim.coverage.visibility import BODIES, TRACKED, Cover, Floor

FORKLIFT, AGV, WORKER = (TRACKED.index(k) for k in ("forklift", "agv", "worker"))
HALF = Sightline(0.5, 0.5)  # a sensor that needs half the body, looking at its middle
WHOLE = Sightline(1.0, 0.5)  # one that needs only a sliver of it


def _floor(size=(60.0, 20.0), cell=0.2) -> Floor:
    grid = BevGrid.covering(size, cell)
    x, y = grid.centres()
    xy = np.stack(np.meshgrid(x, y, indexing="ij"), -1).reshape(-1, 2)
    return Floor(grid, xy, np.ones(len(xy), bool))


def _uniform(floor: Floor, cls: int, per_m2: float, frames: int = 100) -> Crowd:
    """`per_m2` actors of class `cls` at any instant, spread evenly over the floor."""
    traffic = np.zeros((len(BODIES), len(floor.xy)))
    traffic[cls] = per_m2 * frames * floor.grid.resolution**2
    return Crowd.of(floor, traffic, frames)


def _cell(floor: Floor, x: float, y: float) -> int:
    """The cell whose block's centre is (x, y) (blocks of BLOCK cells from the origin)."""
    ij = floor.grid.world_to_cell(np.array([[x, y]]))[0]
    return int(ij[0] * floor.grid.shape[1] + ij[1])


def _slack(floor: Floor) -> float:
    """The margin past the two bodies' radii that the line is not searched (the smoothing, the block)."""
    return SMOOTH_M / 2 + BLOCK * floor.grid.resolution / math.sqrt(2)


def _strip(dist: float, near: float, below_from: float = 0.0) -> float:
    """The length of line the closed form integrates: samples every STEP_M (at their middles) from
    `below_from` (where the line dips under the occluder's height) to `near` short of the cell."""
    s = (np.arange(int(np.ceil(dist / STEP_M))) + 0.5) * STEP_M
    return STEP_M * float(((s < dist - near) & (s > below_from)).sum())


def test_a_low_line_through_uniform_traffic_is_clear_with_the_poisson_chance():
    """Level with the bodies the whole way, the expected number of blockers is ρ · e · L."""
    floor, rho = _floor(), 0.05
    crowd = _uniform(floor, FORKLIFT, rho)
    fork, worker = BODIES[FORKLIFT], BODIES[WORKER]
    seen = np.zeros((len(BODIES), len(floor.xy)), bool)
    res = floor.grid.resolution
    centre = lambda i: (i * BLOCK + (BLOCK - 1) / 2 + 0.5) * res  # noqa: E731
    ys = centre(10)
    xs = [centre(i) for i in (10, 20, 35, 50)]
    cells = [_cell(floor, x, ys) for x in xs]
    seen[:, cells] = True
    seen[:, cells[1] + 1] = True  # another cell of the second block
    origin = (1.0, ys, 0.5)  # lower than a worker's middle: under a forklift's height all the way
    clear = crowd.clear(origin, seen, HALF)
    near = worker.radius_m + fork.radius_m + _slack(floor)
    for x, c in zip(xs, cells, strict=True):
        # Needing half the body: a forklift (wider than a worker) hides it from anywhere on a strip as
        # wide as itself.
        want = math.exp(-rho * fork.extent_m * _strip(x - origin[0], near))
        assert clear[WORKER, c] == pytest.approx(want, rel=1e-9)
        assert clear[WORKER, c] < 1.0
    # Needing a sliver: the forklift must hide all of the worker's apparent width a = e_t · s / D, so its
    # centre must be within (b − a) / 2 of the line; any overlap (θ = 0): within (b + a) / 2.
    lidar = crowd.clear(origin, seen, WHOLE)
    merge = crowd.clear(origin, seen, Sightline(0.0, 0.5))
    for x, c in zip(xs, cells, strict=True):
        dist = x - origin[0]
        samples = (np.arange(int(np.ceil(dist / STEP_M))) + 0.5) * STEP_M
        on = samples[samples < dist - near]
        n = rho * STEP_M * np.sum(fork.extent_m - worker.extent_m * on / dist)
        assert lidar[WORKER, c] == pytest.approx(math.exp(-n), rel=1e-9)
        n = rho * STEP_M * np.sum(fork.extent_m + worker.extent_m * on / dist)
        assert merge[WORKER, c] == pytest.approx(math.exp(-n), rel=1e-9)
        assert merge[WORKER, c] < clear[WORKER, c] < lidar[WORKER, c] < 1.0
    # Workers cannot hide all of a forklift's width from a range sensor where it looks wider than them.
    crowd = _uniform(floor, WORKER, rho)
    far = crowd.clear(origin, seen, WHOLE)[FORKLIFT, cells[-1]]
    dist = xs[-1] - origin[0]
    samples = (np.arange(int(np.ceil(dist / STEP_M))) + 0.5) * STEP_M
    a = fork.extent_m * samples / dist
    on = (samples < dist - fork.radius_m - worker.radius_m - _slack(floor)) & (a <= worker.extent_m)
    assert far == pytest.approx(math.exp(-rho * STEP_M * np.sum(worker.extent_m - a[on])), rel=1e-9)
    # Cells not seen stay clear, and the rest of the block has its block's chance.
    assert clear[WORKER, _cell(floor, xs[0], 3.0)] == 1.0
    assert clear[WORKER, cells[1] + 1] == clear[WORKER, cells[1]]


def test_a_line_from_high_up_passes_over_occluders_until_it_dips_under_their_height():
    floor, rho = _floor(), 0.05
    fork, agv = BODIES[FORKLIFT], BODIES[AGV]
    res = floor.grid.resolution
    ys = (10 * BLOCK + (BLOCK - 1) / 2 + 0.5) * res
    x = (40 * BLOCK + (BLOCK - 1) / 2 + 0.5) * res
    seen = np.zeros((len(BODIES), len(floor.xy)), bool)
    c = _cell(floor, x, ys)
    seen[:, c] = True
    origin = (x - 20.0, ys, 8.0)
    z_t = 0.5 * agv.height_m
    # Forklifts block only where the line is under 2.2 m: s > (8 − 2.2) / (8 − z_t) · 20.
    cam = HALF
    clear = _uniform(floor, FORKLIFT, rho).clear(origin, seen, cam)[AGV, c]
    below = (8.0 - fork.height_m) / (8.0 - z_t) * 20.0
    want = math.exp(-rho * fork.extent_m * _strip(20.0, agv.radius_m + fork.radius_m + _slack(floor), below))
    assert clear == pytest.approx(want, rel=1e-9)
    # AGVs (0.4 m) are under the line until inside the near margin: they hide nothing from up there.
    assert _uniform(floor, AGV, rho).clear(origin, seen, cam)[AGV, c] == 1.0
    # Lower mounts see through more of the crowd.
    lower = _uniform(floor, FORKLIFT, rho).clear((x - 20.0, ys, 3.0), seen, cam)[AGV, c]
    assert lower < clear


def test_rates_are_for_a_clear_view_and_the_crowd_scales_them():
    floor = _floor()
    seen = np.zeros((len(BODIES), len(floor.xy)), bool)
    seen[:, ::7] = True
    rates = DetectionRates({"camera": {"forklift": 0.5, "agv": 0.7, "worker": 0.9}})
    cover = Cover("c", "camera", seen, (1.0, 10.0, 0.5))
    crowd = _uniform(floor, WORKER, 0.1)
    got = rates.probability(cover, crowd)
    want = rates.probability(cover) * crowd.clear(cover.origin, seen, SIGHTLINES["camera"])
    assert np.allclose(got, want)
    assert (got[:, seen[0]] < rates.probability(cover)[:, seen[0]]).any()
    # Beams have no origin (nor a rate): nothing to scale.
    assert not rates.probability(Cover("b", "beam", seen), crowd).any()


@pytest.mark.parametrize("cls", [FORKLIFT, AGV, WORKER])
def test_a_lone_actors_own_traffic_does_not_hide_it(cls):
    """Anywhere in its block, from any side, low down: one actor's traffic leaves its own view clear."""
    floor = _floor()
    rng = np.random.default_rng(3)
    for x, y in rng.uniform([5, 5], [55, 15], size=(40, 2)):
        traffic = np.zeros((len(BODIES), len(floor.xy)))
        c = _cell(floor, x, y)
        traffic[cls, c] = 100.0  # there all the time
        seen = np.zeros((len(BODIES), len(floor.xy)), bool)
        seen[:, c] = True
        crowd = Crowd.of(floor, traffic, 100)
        for origin in ((0.5, 0.5, 0.3), (59.5, 19.5, 0.3), (x, 0.5, 0.3), (0.5, y, 0.3)):
            for sight in (HALF, WHOLE, *SIGHTLINES.values()):
                assert crowd.clear(origin, seen, sight)[cls, c] == 1.0


def test_blocks_worked_out_for_one_cover_are_the_same_for_the_next(monkeypatch):
    """The per-pose cache: asking for part of the floor first, then all of it, gives what asking for all
    of it at once gives (and small chunks what one chunk gives)."""
    floor = _floor()
    rng = np.random.default_rng(5)
    traffic = rng.poisson(3.0, size=(len(BODIES), len(floor.xy))).astype(float)
    seen = rng.random((len(BODIES), len(floor.xy))) < 0.5
    part = seen & (floor.xy[:, 0] < 20)[None, :]
    origin = (30.0, 0.3, 2.0)
    fresh = Crowd.of(floor, traffic, 40).clear(origin, seen, WHOLE)
    crowd = Crowd.of(floor, traffic, 40)
    first = crowd.clear(origin, part, WHOLE)
    assert np.array_equal(first, np.where(part, fresh, 1.0))
    assert np.array_equal(crowd.clear(origin, seen, WHOLE), fresh)
    assert (fresh[seen] < 1).mean() > 0.5
    monkeypatch.setattr("sim.coverage.crowding.CHUNK", 7)
    assert np.allclose(Crowd.of(floor, traffic, 40).clear(origin, seen, WHOLE), fresh, rtol=1e-12)


def test_the_frame_count_is_the_frames_the_traffic_was_counted_on():
    """The density divides by `frames`: every tracked actor is on the floor in every counted frame, so the
    actor-frames are the frames times the actors."""
    from sim.coverage.site_coverage import static_world
    from sim.coverage.traffic import frames, traffic
    from sim.loading import parse_scenario
    from tests.conftest import scenario_dict

    d = scenario_dict(duration_s=3.0)
    sc = parse_scenario(yaml.safe_dump(d))
    floor = Floor.of(static_world(sc))
    tracked = sum(a.kind in TRACKED for a in sc.actors)
    assert tracked > 0
    counts = traffic(sc, floor, [1, 2])
    assert counts.sum() == frames(sc, 2) * tracked
