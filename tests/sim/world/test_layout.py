"""Layout expansion: rack rows into uprights, decks and pallets; walls split around docks."""

from __future__ import annotations

import numpy as np
import yaml

from sim.loading import parse_scenario
from sim.world.kinds import CLASS_IDS
from sim.world.layout import build_static_world
from tests.conftest import DEFAULT_SCENARIO, scenario_dict


def test_rack_block_expands_into_rows_uprights_decks_and_pallets():
    sc = parse_scenario(DEFAULT_SCENARIO.read_text())
    block = sc.layout.racks[0]
    w = build_static_world(sc.layout, np.random.default_rng(0))
    assert len(w.rack_rows) == block.rows
    assert w.rack_rows[1].y0 - w.rack_rows[0].y0 == block.row_spacing_m
    rack_boxes = [b for b in w.boxes if b.class_id == CLASS_IDS["rack"]]
    uprights = block.rows * (block.bays + 1) * 2
    decks = block.rows * (block.levels - 1)
    assert len(rack_boxes) == uprights + decks
    slots = block.rows * block.bays * block.levels
    assert 0.45 * slots < len(w.pallets) < 0.75 * slots  # fill 0.6
    tags = [p.tag for p in w.pallets]
    assert len(set(tags)) == len(tags) and all(t.startswith("E280-P-") for t in tags)
    instances = [b.instance for b in w.boxes]
    assert len(set(instances)) == len(instances) and min(instances) == 1
    # Every pallet sits inside its rack row's footprint.
    for p in w.pallets:
        x, y, _ = p.box.center
        assert any(r.contains(x, y) for r in w.rack_rows)


def test_pallet_fill_follows_the_layout_seed():
    sc = parse_scenario(DEFAULT_SCENARIO.read_text())
    a = build_static_world(sc.layout, np.random.default_rng(1))
    b = build_static_world(sc.layout, np.random.default_rng(1))
    c = build_static_world(sc.layout, np.random.default_rng(2))
    assert a.pallets == b.pallets and a.pallets != c.pallets


def test_perimeter_wall_leaves_the_dock_open():
    sc = parse_scenario(yaml.safe_dump(scenario_dict()))
    w = build_static_world(sc.layout, np.random.default_rng(0))
    (dock,) = w.docks
    assert (dock.x0, dock.y0, dock.y1) == (20.0, 4.5, 7.5)
    east = [r for r in w.wall_rects if r.x0 == 20.0]
    covered = sorted((r.y0, r.y1) for r in east)
    assert covered == [(-0.2, 4.5), (7.5, 12.2)]
