"""Strategies end to end on small scenes: RFID-only tracks by multilateration, the oracle, t2t-ci."""

from __future__ import annotations

import numpy as np
import yaml

from sim.pipeline.strategy import make_pipeline
from sim.scenario.loader import parse_scenario
from sim.simulation import Simulation

HALL = {"size_m": [20, 20], "height_m": 6}


def _run(d: dict):
    sc = parse_scenario(yaml.safe_dump(d), "t.yaml")
    sim = Simulation(sc)
    step, _ = sim.reset()
    pipe = make_pipeline(sc.pipeline.strategy, sc, np.random.default_rng(sim.pipeline_seed), sim.world.static)
    pipe.process(step)
    done = False
    while not done:
        step, done, _ = sim.step()
        pipe.process(step)
    return pipe.tracks(step.t), step.truth


def _scene(strategy, sensors, actors, duration=20):
    return {
        "name": "s",
        "seed": 2,
        "duration_s": duration,
        "dt_s": 0.05,
        "layout": HALL,
        "actors": actors,
        "sensors": sensors,
        "pipeline": {"strategy": strategy},
    }


def test_rfid_only_tracks_a_tagged_worker_by_multilateration():
    readers = [
        {"id": "r1", "type": "rfid", "position": [4, 4, 2.5], "boresight": [1, 1, 0]},
        {"id": "r2", "type": "rfid", "position": [16, 4, 2.5], "boresight": [-1, 1, 0]},
        {"id": "r3", "type": "rfid", "position": [10, 15, 2.5], "boresight": [0, -1, 0]},
    ]
    actors = [
        {"id": "w", "kind": "worker", "tags": ["B-1"], "motion": {"type": "stationary", "position": [10, 8]}}
    ]
    tracks, truth = _run(_scene("rfid", readers, actors))
    tagged = [t for t in tracks if t.tag == "B-1"]
    assert len(tagged) == 1 and tagged[0].cls == "worker"
    # RSSI ranging is coarse (shadowing σ = 6 dB): within a couple of metres, honest about it.
    err = np.linalg.norm(tagged[0].x[:2] - truth.xyz[0, :2])
    assert err < 2.5
    sd = np.sqrt(np.linalg.eigvalsh(tagged[0].P[:2, :2]).max())
    assert err < 3 * sd + 0.5


def test_oracle_tracks_every_actor_and_t2t_ci_fuses_two_trackers():
    actors = [
        {
            "id": "f",
            "kind": "forklift",
            "motion": {"type": "waypoints", "points": [[3, 5], [17, 5]], "loop": True},
        },
        {
            "id": "w",
            "kind": "worker",
            "tags": ["B-2"],
            "motion": {"type": "waypoints", "points": [[5, 14], [15, 14]], "loop": True},
        },
    ]
    tracks, truth = _run(_scene("oracle", [], actors, duration=15))
    confirmed = [t for t in tracks if t.status == "confirmed"]
    for k in range(len(truth)):
        d = [np.linalg.norm(t.x[:2] - truth.xyz[k, :2]) for t in confirmed]
        assert min(d) < 0.6, truth.ids[k]
    sensors = [
        {"id": "ir", "type": "thermal", "position": [10, 0.5, 6], "look_at": [10, 10, 0]},
        {"id": "r1", "type": "rfid", "position": [10, 19.5, 2], "boresight": [0, -1, 0]},
    ]
    tracks, truth = _run(_scene("t2t-ci", sensors, actors, duration=15))
    assert tracks, "t2t-ci produced no confirmed track"
    for t in tracks:
        assert t.status == "confirmed" and np.all(np.linalg.eigvalsh(t.P) > 0)


def test_lidar_detects_isolated_actors_within_a_cell_and_tracks_them():
    from sim.pipeline.bev_map import BEV_RESOLUTION_M, BevMap
    from sim.pipeline.lidar_detector import LidarDetector

    actors = [
        {"id": "f", "kind": "forklift", "motion": {"type": "stationary", "position": [6, 6], "yaw_deg": 20}},
        {"id": "a", "kind": "agv", "motion": {"type": "stationary", "position": [14, 6]}},
        {"id": "w", "kind": "worker", "motion": {"type": "stationary", "position": [10, 14]}},
    ]
    # Mounted 1 m up: a VLP-16 higher up cannot see a 0.4 m AGV this close (its lowest beam is at −15°).
    sensors = [{"id": "l", "type": "lidar", "position": [10, 9, 1.0]}]
    sc = parse_scenario(yaml.safe_dump(_scene("lidar", sensors, actors, duration=3)), "t.yaml")
    sim = Simulation(sc)
    step, _ = sim.reset()
    (cloud,) = step.readings
    bev = BevMap(sc.layout.size_m, sim.world.static)
    pm, known = LidarDetector(bev.grid, bev.static).detect(cloud)
    assert len(pm) == 3 and known.any()
    for k, actor_id in enumerate(step.truth.ids):
        d = np.linalg.norm(pm.z - step.truth.xyz[k, :2], axis=1)
        j = int(np.argmin(d))
        assert d[j] < BEV_RESOLUTION_M * np.sqrt(2) + 0.15, actor_id  # within about one cell
        assert pm.cls[j] == dict(f="forklift", a="agv", w="worker")[actor_id]
    tracks, _ = _run(_scene("lidar", sensors, actors, duration=3))
    assert sum(t.status == "confirmed" for t in tracks) == 3


def test_camera_places_a_walking_worker_by_its_contact_point():
    from sim.pipeline.sources import camera_positions

    actors = [{"id": "w", "kind": "worker", "motion": {"type": "waypoints", "points": [[8, 6], [14, 6]]}}]
    sensors = [{"id": "c", "type": "camera", "position": [2, 2, 6], "look_at": [11, 7, 0]}]
    sc = parse_scenario(yaml.safe_dump(_scene("camera", sensors, actors, duration=4)), "t.yaml")
    sim = Simulation(sc)
    step, _ = sim.reset()
    pipe = make_pipeline("camera", sc, np.random.default_rng(0), sim.world.static)
    errors = []
    done = False
    while not done:
        step, done, _ = sim.step()
        for r in step.readings:
            fg = pipe.backgrounds["c"].apply(r.rgb.astype(np.float32))
            pm = camera_positions(r, fg, pipe.site.floor_mask(pipe.cameras["c"]))
            if len(pm):
                errors.append(np.linalg.norm(pm.z - step.truth.xyz[0, :2], axis=1).min())
                assert len(pm) == 1  # one body, one blob
    assert len(errors) >= 30 and np.median(errors) < 0.3
