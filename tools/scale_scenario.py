"""Write a scenario of a given size, for measuring how whsim scales and that its limits hold.

    python tools/scale_scenario.py --size 300 200 --actors 200 --sensors 32 > runs/scale_300x200.yaml
    whsim run runs/scale_300x200.yaml --duration 5

Rack blocks of five rows tile the building with 8 m cross aisles; actors (one forklift, one AGV and two
workers in every four) patrol from seeded random starts; sensors stand on a grid over the floor: a
ceiling camera looking down at 45°, a LiDAR, a thermal camera and an RFID reader in turn (`--kinds`
picks another cycle). The 60 m × 40 m site of the speed goals (4 cameras, 2 LiDARs, 12 actors):

    python tools/scale_scenario.py --size 60 40 --actors 12 --sensors 6 --kinds camera,lidar,camera \
        > runs/site_60x40.yaml
"""

from __future__ import annotations

import argparse
import math
import sys

import yaml

BLOCK = {"rows": 5, "row_spacing_m": 3.6, "bays": 8, "bay_length_m": 2.7, "depth_m": 1.1, "levels": 4}
BLOCK_LENGTH_M = 8 * 2.7
BLOCK_WIDTH_M = 4 * 3.6 + 1.1
CROSS_AISLE_M = 8.0
KINDS = ("forklift", "agv", "worker", "worker")
SENSOR_KINDS = ("camera", "lidar", "thermal", "rfid")


def scale_scenario(
    length: float,
    width: float,
    actors: int,
    sensors: int,
    height: float = 11.0,
    kinds: tuple[str, ...] = SENSOR_KINDS,
) -> dict:
    """The scenario as a dict (see the module docstring)."""
    racks = []
    x = CROSS_AISLE_M
    while x + BLOCK_LENGTH_M <= length - CROSS_AISLE_M:
        y = CROSS_AISLE_M
        while y + BLOCK_WIDTH_M <= width - CROSS_AISLE_M:
            racks.append({"origin": [x, y], **BLOCK, "level_height_m": 1.6, "pallet_fill": 0.5})
            y += BLOCK_WIDTH_M + CROSS_AISLE_M
        x += BLOCK_LENGTH_M + CROSS_AISLE_M
    people = [
        {"id": f"a{k}", "kind": KINDS[k % 4], "motion": {"type": "patrol", "speed_mps": 1.2}}
        for k in range(actors)
    ]
    cols = max(1, round(math.sqrt(sensors * length / width)))
    rows = max(1, math.ceil(sensors / cols))
    placed = []
    for k in range(sensors):
        i, j = k % cols, k // cols
        px, py = (i + 0.5) * length / cols, (j + 0.5) * width / rows
        # Over a cross aisle, clear of the racks: the nearest multiple of the block pitch.
        py = CROSS_AISLE_M / 2 + round((py - CROSS_AISLE_M / 2) / (BLOCK_WIDTH_M + CROSS_AISLE_M)) * (
            BLOCK_WIDTH_M + CROSS_AISLE_M
        )
        py = min(max(py, 1.0), width - 1.0)
        kind = kinds[k % len(kinds)]
        s = {"id": f"s{k}", "type": kind}
        if kind == "camera":
            s |= {"position": [px, py, 6.0], "look_at": [px + 6.0, py, 0.0]}
        elif kind == "thermal":
            s |= {"position": [px, py, 8.0], "look_at": [px + 8.0, py, 0.0]}
        elif kind == "lidar":
            s |= {"position": [px, py, 3.0]}
        else:
            s |= {"position": [px, py, 2.5], "boresight": [1, 0, 0]}
        placed.append(s)
    what = f"{length:g} x {width:g} m, {len(racks)} rack blocks, {actors} actors, {sensors} sensors"
    return {
        "name": f"scale_{length:g}x{width:g}_{actors}a_{sensors}s",
        "description": what,
        "seed": 1,
        "duration_s": 10,
        "dt_s": 0.05,
        "layout": {"size_m": [length, width], "height_m": height, "racks": racks},
        "actors": people,
        "sensors": placed,
        "pipeline": {"strategy": "central"},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", nargs=2, type=float, metavar=("LENGTH", "WIDTH"), default=(300.0, 200.0))
    ap.add_argument("--actors", type=int, default=200)
    ap.add_argument("--sensors", type=int, default=32)
    ap.add_argument("--kinds", default=",".join(SENSOR_KINDS), help="the sensor types to cycle through")
    a = ap.parse_args(argv)
    kinds = tuple(a.kinds.split(","))
    if not kinds or any(k not in SENSOR_KINDS for k in kinds):
        ap.error(f"--kinds: each of {', '.join(SENSOR_KINDS)}, comma-separated (got {a.kinds!r})")
    yaml.safe_dump(scale_scenario(*a.size, a.actors, a.sensors, kinds=kinds), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
