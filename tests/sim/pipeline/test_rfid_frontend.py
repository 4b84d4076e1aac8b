"""The RFID front-end's detection model is the simulated reader's own link (unless told otherwise), and
each round lists the registered tags it did not read."""

from __future__ import annotations

import numpy as np

from fusion.rfid_link import segments_cross_rects
from sim.loading import load_scenario
from sim.pipeline.frontends import FRONTENDS, FrontEndContext
from sim.sensors.rfid import TAG_HEIGHT_M, full_round, round_reads
from sim.simulation import Simulation
from sim.world.layout import rect_array
from tests.conftest import ROOT


def _default():
    sc = load_scenario(ROOT / "scenarios" / "default.yaml").model_copy(update={"duration_s": 1.0})
    sim = Simulation(sc)
    sim.reset()
    ctx = FrontEndContext(sc, sim.world.static, np.random.default_rng(0))
    return sc, sim, ctx


def test_the_believed_read_probability_is_the_simulated_readers():
    sc, sim, ctx = _default()
    racks = rect_array(sim.world.static.rack_rows)
    xy = np.random.default_rng(3).uniform([0, 0], sim.world.static.size, (400, 2))
    for spec in (s for s in sc.sensors if s.type == "rfid"):
        model = FRONTENDS["rfid"].build(spec, ctx).model
        reader = sim.sensors.by_id[spec.id]
        crossed = segments_cross_rects(np.broadcast_to(reader.position[:2], xy.shape), xy, racks)
        assert crossed.max() >= 1  # some positions behind rack rows
        truth = reader.read_probability(np.column_stack([xy, np.full(len(xy), TAG_HEIGHT_M)]), crossed)
        np.testing.assert_allclose(model.read_probability(xy), truth, atol=1e-12)


def test_a_round_lists_the_registered_tags_it_missed_and_whether_it_was_full():
    sc, sim, ctx = _default()
    fronts = {s.id: FRONTENDS["rfid"].build(s, ctx) for s in sc.sensors if s.type == "rfid"}
    registered = {tag for a in sc.actors for tag in a.tags}
    step, _ = sim.reset()
    seen = 0
    for _ in range(10):
        for r in step.readings:
            if r.sensor_id in fronts:
                rm = fronts[r.sensor_id].process(r).ranges
                assert set(rm.tags) | set(rm.reads.unread) == registered
                assert not set(rm.tags) & set(rm.reads.unread)
                assert len(rm.reads.rssi_dbm) == len(rm.tags)
                assert rm.reads.saturated == (len(r.tags) >= fronts[r.sensor_id].full_round)
                seen += 1
        step, _, _ = sim.step()
    assert seen > 0


def test_a_full_round_is_the_fewest_reads_that_can_leave_tags_unread():
    """Brute force over the slotted-ALOHA cap: below `full_round` reads, every powered tag was read."""
    for slots in (1, 2, 5, 13, 40):
        cut = full_round(slots)
        for n in range(1, 30 * slots):
            k = round_reads(slots, n)
            assert k == n or k >= cut, (slots, n, k, cut)
        assert any(round_reads(slots, n) == cut < n for n in range(1, 30 * slots))


def test_a_still_tag_on_a_hopping_us_reader_is_ranged_by_its_phase():
    """A worker standing 5 m in front of a US reader (50 channels, 0.4 s each): after a few channels
    the front-end's range is mostly the phase range (a window whose channels leave two ranges nearly
    as likely gives none), within 0.3 m of the true slant range and with σ well under the RSSI range's;
    a walking worker gets RSSI ranges only."""
    from tests.sim.sensors.conftest import run_readings, sim_of

    reader = {"id": "r", "type": "rfid", "position": [1, 10, 1], "boresight": [1, 0, 0], "region": "US"}
    actors = [
        {
            "id": "still",
            "kind": "worker",
            "tags": ["S"],
            "motion": {"type": "stationary", "position": [6, 10]},
        },
        {
            "id": "walk",
            "kind": "worker",
            "tags": ["W"],
            "motion": {"type": "waypoints", "points": [[4, 6], [12, 6]], "speed_mps": 1.2, "loop": True},
        },
    ]
    sim = sim_of({"size_m": [30, 20], "height_m": 6}, actors, [reader], duration=6)
    reads = run_readings(sim)
    sc = sim.scenario
    ctx = FrontEndContext(sc, sim.world.static, np.random.default_rng(0))
    front = FRONTENDS["rfid"].build(sc.sensors[0], ctx)
    still, walking = [], []
    for r in reads:
        rm = front.process(r).ranges
        for k, tag in enumerate(rm.tags):
            ranged = np.isfinite(rm.reads.range_m[k])
            if ranged:
                assert rm.ranges[k] == rm.reads.range_m[k] and rm.sigma[k] < 0.3
            (still if tag == "S" else walking).append((r.t, ranged, rm.ranges[k]))
    late = [(ranged, d) for t, ranged, d in still if t > 3.0]
    assert len(late) > 20 and np.mean([ranged for ranged, _ in late]) > 0.75
    assert all(abs(d - 5.0) < 0.3 for ranged, d in late if ranged)
    assert walking and not any(ranged for _, ranged, _ in walking)
