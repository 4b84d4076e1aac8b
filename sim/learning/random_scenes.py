"""Randomised warehouse scenes for training data: building size, rack blocks, traffic and sensor mounts all
drawn from one generator, so a scene seed fixes a layout and two seed ranges never share one."""

from __future__ import annotations

import numpy as np
import yaml

from sim.loading import parse_scenario
from sim.scenario.loader import ScenarioError
from sim.scenario.models import Scenario

MAX_TRIES = 50

# How many cameras, thermal cameras and LiDARs a random site draws (each evenly, bounds inclusive): a
# plain site, and a dense one, watched about as `default` and `busy` are (2 cameras, 2 thermal cameras, a
# LiDAR), which at least 4 plain sites in 27 are.
SITE_SENSORS = ((1, 3), (0, 2), (0, 2))
DENSE_SITE_SENSORS = ((2, 3), (1, 2), (1, 2))


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return round(float(rng.uniform(lo, hi)), 2)


def _racks(rng: np.random.Generator, L: float, W: float) -> tuple[list[dict], list[float], float]:
    """One or two rack blocks (a cross aisle between), and the y of every aisle's centre line."""
    ox, oy = _u(rng, 3, 5), _u(rng, 2.5, 4)
    depth, spacing = _u(rng, 0.9, 1.4), 0.0
    spacing = round(depth + _u(rng, 2.4, 3.4), 2)
    bay = _u(rng, 2.2, 3.0)
    levels, level_h = int(rng.integers(2, 7)), _u(rng, 1.2, 2.0)
    rows = max(1, int((W - oy - 3) // spacing))
    bays = max(2, int((L - ox - 4) // bay))
    split = bays >= 8 and rng.random() < 0.5
    common = dict(
        rows=rows, row_spacing_m=spacing, bay_length_m=bay, depth_m=depth, levels=levels,
        level_height_m=level_h, pallet_fill=_u(rng, 0.3, 0.9),
    )  # fmt: skip
    if split:
        first = bays // 2 - 1
        blocks = [
            dict(origin=[ox, oy], bays=first, **common),
            dict(origin=[round(ox + (first + 1.5) * bay, 2), oy], bays=bays - first - 2, **common),
        ]
    else:
        blocks = [dict(origin=[ox, oy], bays=bays, **common)]
    aisles = [oy / 2] + [oy + r * spacing + depth + (spacing - depth) / 2 for r in range(rows - 1)]
    top = oy + (rows - 1) * spacing + depth
    aisles.append((top + W) / 2)
    return blocks, aisles, levels * level_h


def _sensors(
    rng: np.random.Generator, L: float, aisles: list[float], n_lidar: int, n_depth: int, rate: float
):
    out = []
    for k in range(n_lidar):
        pos = [_u(rng, 1.5, L - 1.5), round(float(rng.choice(aisles)), 2), _u(rng, 2.5, 6.0)]
        out.append(
            dict(
                id=f"lidar{k}", type="lidar", preset="vlp16", position=pos, rate_hz=rate,
                yaw_deg=_u(rng, -180, 180), range_noise_m=_u(rng, 0.01, 0.03), dropout=_u(rng, 0.0, 0.15),
            )
        )  # fmt: skip
    for k in range(n_depth):
        x, y = _u(rng, 1.5, L - 1.5), round(float(rng.choice(aisles)), 2)
        ahead = _u(rng, 3, 8) * (1 if rng.random() < 0.5 else -1)
        look = [round(min(max(x + ahead, 0.5), L - 0.5), 2), y, 0.0]
        out.append(
            dict(
                id=f"depth{k}", type="lidar", preset="depth_cam", position=[x, y, _u(rng, 2.0, 4.5)],
                look_at=look, rate_hz=rate, dropout=_u(rng, 0.0, 0.15),
            )
        )  # fmt: skip
    return out


def _actors(rng: np.random.Generator) -> list[dict]:
    counts = {
        "forklift": int(rng.integers(1, 5)),
        "agv": int(rng.integers(1, 5)),
        "worker": int(rng.integers(2, 9)),
    }
    return [
        {"id": f"{kind}{k}", "kind": kind, "motion": {"type": "patrol"}}
        for kind, n in counts.items()
        for k in range(n)
    ]


def _draw(kind: str, seed: int, salt: int, duration_s: float, size, height, dock_x, sensors) -> Scenario:
    """Draw a layout (sides from `size`, roof from `height`), traffic and `sensors(rng, L, W, aisles)` from
    one generator, again until the physics checks pass."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, salt]))
    for _ in range(MAX_TRIES):
        L, W = _u(rng, *size[0]), _u(rng, *size[1])
        racks, aisles, rack_top = _racks(rng, L, W)
        data = {
            "name": f"{kind}-{seed}",
            "seed": int(seed),
            "duration_s": duration_s,
            "dt_s": 0.1,
            "layout": {
                "size_m": [L, W],
                "height_m": round(max(rack_top + 1.5, _u(rng, *height)), 2),
                "racks": racks,
                "docks": [{"position": [dock_x(L), round(W / 2, 2)], "width_m": 3}],
            },
            "actors": _actors(rng),
            "sensors": sensors(rng, L, W, aisles),
        }
        try:
            return parse_scenario(yaml.safe_dump(data), f"{kind}-{seed}")
        except ScenarioError:
            continue
    raise RuntimeError(f"{kind} {seed}: no valid random layout in {MAX_TRIES} draws")


def random_scene(seed: int, *, duration_s: float = 40.0, scan_every_s: float = 4.0) -> Scenario:
    """A valid scenario for scene `seed`: random layout, traffic, 2 spinning LiDARs and 2 depth cameras
    scanning every `scan_every_s`."""

    def sensors(rng, L, W, aisles):
        return _sensors(rng, L, aisles, 2, 2, 1.0 / scan_every_s)

    return _draw("scene", seed, 0x504E, duration_s, ((24, 56), (16, 36)), (6, 12), lambda L: 0, sensors)


def _bev_sensors(
    rng: np.random.Generator, L: float, W: float, aisles: list[float], counts=SITE_SENSORS
) -> list[dict]:
    """Fixed cameras high in the corners and on the walls looking inwards, thermal cameras on the walls
    looking across, and a spinning LiDAR in an aisle — the mounts of the shipped sites, drawn at random,
    as many of each as `counts` (cameras, thermal cameras, LiDARs: inclusive bounds) allows."""
    (c0, c1), (t0, t1), (l0, l1) = counts

    def wall_point() -> tuple[float, float]:
        side = int(rng.integers(4))
        a = _u(rng, 1, (L if side < 2 else W) - 1)
        return [(a, 1.0), (a, round(W - 1.0, 2)), (1.0, a), (round(L - 1.0, 2), a)][side]

    def inward(x: float, y: float, reach: float) -> list[float]:
        tx, ty = _u(rng, 0.25 * L, 0.75 * L), _u(rng, 0.25 * W, 0.75 * W)
        d = max(float(np.hypot(tx - x, ty - y)), 1e-6)
        k = min(1.0, reach / d)
        return [round(x + k * (tx - x), 2), round(y + k * (ty - y), 2), 0.0]

    out = []
    e, n = round(L - 1.0, 2), round(W - 1.0, 2)
    corners = [(1.0, 1.0), (e, 1.0), (1.0, n), (e, n)]
    for k in range(int(rng.integers(c0, c1 + 1))):
        x, y = corners[int(rng.integers(4))] if rng.random() < 0.6 else wall_point()
        out.append(
            dict(
                id=f"cam{k}", type="camera", position=[x, y, _u(rng, 4.5, 8.5)], look_at=inward(x, y, 18),
                resolution=[320, 240], hfov_deg=_u(rng, 70, 95), rate_hz=10,
            )
        )  # fmt: skip
    for k in range(int(rng.integers(t0, t1 + 1))):
        x, y = wall_point()
        out.append(
            dict(
                id=f"ir{k}", type="thermal", position=[x, y, _u(rng, 6.5, 9.0)], look_at=inward(x, y, 11),
                resolution=[160, 120], hfov_deg=57, rate_hz=8.7,
            )
        )  # fmt: skip
    for k in range(int(rng.integers(l0, l1 + 1))):
        pos = [_u(rng, 0.3 * L, 0.7 * L), round(float(rng.choice(aisles)), 2), _u(rng, 3.0, 5.0)]
        out.append(dict(id=f"lidar{k}", type="lidar", preset="vlp16", position=pos, rate_hz=10))
    return out


def random_site(seed: int, *, duration_s: float = 30.0, dense: bool = False) -> Scenario:
    """A valid scenario for sequence `seed` of the BEV detector's data: random layout and traffic watched
    by 1–3 cameras, 0–2 thermal cameras and 0–2 LiDARs, all at their usual rates; `dense`: by 2–3, 1–2
    and 1–2 (`DENSE_SITE_SENSORS`), a different site for the same seed, named `dense-site-<seed>`."""
    counts = DENSE_SITE_SENSORS if dense else SITE_SENSORS

    def sensors(rng, L, W, aisles):
        return _bev_sensors(rng, L, W, aisles, counts)

    kind, salt = ("dense-site", 0xD3C) if dense else ("site", 0x3DC)
    return _draw(kind, seed, salt, duration_s, ((28, 48), (18, 30)), (8, 11), lambda L: L, sensors)
