"""The fusers' trackers take the scenario's settings; a tracker fed by RFID reads alone has its own."""

from __future__ import annotations

from fusion.motion import PROCESS_NOISE
from sim.loading import load_scenario
from sim.pipeline.fusers import tracker_for


def test_an_rfid_only_tracker_keeps_its_own_worker_motion_noise():
    settings = load_scenario("scenarios/quickstart.yaml").pipeline
    fed_by_detections, rfid_only = tracker_for(settings, False), tracker_for(settings, True)
    assert fed_by_detections.q["worker"] == PROCESS_NOISE["worker"] == settings.tracker.process_noise_worker
    assert rfid_only.q["worker"] == settings.tracker.rfid_only_process_noise_worker != PROCESS_NOISE["worker"]
    assert rfid_only.q["forklift"] == fed_by_detections.q["forklift"] == PROCESS_NOISE["forklift"]
    tuned = load_scenario(
        "scenarios/quickstart.yaml", sets=("pipeline.tracker.rfid_only_process_noise_worker=0.7",)
    ).pipeline
    assert tracker_for(tuned, True).q["worker"] == 0.7 and tracker_for(tuned, False).q["worker"] == 0.1


def test_only_the_configured_sources_get_a_bias_state_per_sensor():
    """A camera's detections estimate that camera's bias on the track; the idealised oracle's do not."""
    import numpy as np

    from fusion.measurements import PositionMeasurements
    from sim.pipeline.fusers import LocalTracker

    settings = load_scenario("scenarios/quickstart.yaml").pipeline
    assert settings.filter == "imm-bias"
    local = LocalTracker(settings, ("camera",), {})
    for k, (sensor, source) in enumerate([("cam_a", "camera"), ("truth", "oracle"), ("cam_b", "camera")]):
        pm = PositionMeasurements(
            0.1 * k, sensor, source, np.array([[2.0, 3.0]]), np.eye(2)[None] * 0.1, ("worker",), np.ones(1)
        )
        local.positions(pm, None)
    bank = local.tracker.bank
    assert set(bank.sensors) == {"cam_a", "cam_b"} and bank.live.tolist() == [[True, True]]
    plain = LocalTracker(
        load_scenario("scenarios/quickstart.yaml", sets=("pipeline.filter=imm",)).pipeline, ("camera",), {}
    )
    plain.positions(pm, None)
    assert plain.tracker.bank.offset_view("cam_b") is None
