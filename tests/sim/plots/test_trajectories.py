"""The trajectory figure's fields of view show the floor a sensor sees, with the racks' shadows."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import yaml

from sim.loading import parse_scenario
from sim.plots.trajectories import draw_fields_of_view, draw_sensors
from sim.world.layout import build_static_world
from tests.conftest import scenario_dict


def _visible_floor(d: dict):
    """The mask the figure fills for the scenario's camera, as a look-up by position."""
    sc = parse_scenario(yaml.safe_dump(d))
    static = build_static_world(sc.layout, np.random.default_rng(0))
    fig, ax = plt.subplots()
    masks = []
    real = ax.contourf
    ax.contourf = lambda x, y, z, **k: masks.append((x, y, z)) or real(x, y, z, **k)
    draw_fields_of_view(ax, sc, static)
    plt.close(fig)
    (x, y, z), = masks  # one camera, the beam has no field of view  # fmt: skip
    return lambda px, py: bool(z[np.argmin(np.abs(x[:, 0] - px)), np.argmin(np.abs(y[0] - py))])


def test_fields_of_view_leave_out_the_floor_that_racks_hide():
    """The camera at (19, 11, 5) looks south-west over two rack rows (y 3–4.1 and 6.5–7.6, 4.5 m tall):
    the aisle between them (y 5.3) is inside its angle and range but hidden; without the racks it shows."""
    seen = _visible_floor(scenario_dict())
    assert seen(14, 9) and seen(8, 9)  # open floor in front of the rows
    assert not seen(10, 5.3) and not seen(6, 5.3)  # the aisle, behind the nearer row
    d = scenario_dict()
    d["layout"] = {**d["layout"], "racks": []}
    d["actors"] = [a for a in d["actors"] if a["motion"]["type"] != "patrol"]
    bare = _visible_floor(d)
    assert bare(10, 5.3) and bare(6, 5.3)


def test_a_track_not_reported_for_a_while_is_drawn_in_pieces():
    """Regression: a track lost and re-acquired far away was drawn with a straight line across the site."""
    from sim.plots.trajectories import broken_at_gaps

    t = np.array([0.0, 0.1, 0.2, 3.0, 3.1])
    x, y = broken_at_gaps(t, np.arange(5.0), np.arange(5.0) * 2)
    assert np.isnan(x[3]) and np.isnan(y[3]) and len(x) == 6
    np.testing.assert_array_equal(x[~np.isnan(x)], np.arange(5.0))
    x, _ = broken_at_gaps(t[:3], np.arange(3.0), np.arange(3.0))
    assert not np.isnan(x).any()


def test_ids_of_sensors_on_one_mount_do_not_cover_each_other():
    """A placed layout can put an RFID antenna and a thermal camera on the same wall point: both ids show,
    one above the other; a sensor elsewhere keeps the usual offset."""
    d = scenario_dict()
    cam = next(s for s in d["sensors"] if s["type"] == "camera")
    twin = {"id": "twin_rfid", "type": "rfid", "position": [cam["position"][0], cam["position"][1], 2.5]}
    d["sensors"].append(twin)
    sc = parse_scenario(yaml.safe_dump(d))
    fig, ax = plt.subplots()
    draw_sensors(ax, sc)
    offsets = {a.get_text(): a.xyann for a in ax.texts}
    plt.close(fig)
    assert set(offsets) == {s.id for s in sc.sensors}
    mine, other = offsets[cam["id"]], offsets["twin_rfid"]
    assert mine[0] == other[0] and abs(mine[1] - other[1]) >= 10
    assert all(abs(o[1]) == 5 for sid, o in offsets.items() if sid != "twin_rfid")
