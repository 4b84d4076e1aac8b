"""Draw the docs' sensor frames from a run's saved raw data: one camera frame as it is and one thermal
frame in false colour with a °C scale.

    whsim run scenarios/default.yaml --save-sensors 20 --duration 31 --out runs/sensor_frames
    python tools/sensor_figures.py runs/sensor_frames --camera cam_sw --at 30 \
        --thermal ir_s --thermal-at 23 --out docs

Writes `<camera>_rgb.png` and `<thermal>_thermal.png` into --out. Saved frames are named
`<seconds:06d>_<milliseconds:03d>_…`; the one nearest the asked time is taken.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sim.output.sensor_files import read_thermal_c


def _nearest(folder: Path, suffix: str, t: float) -> tuple[Path, float]:
    """The saved file of this kind whose time stamp is nearest t, and its time."""
    found = []
    for p in folder.glob(f"*_{suffix}"):
        s, ms = p.name.split("_")[:2]
        found.append((abs(int(s) + int(ms) / 1000 - t), int(s) + int(ms) / 1000, p))
    if not found:
        raise SystemExit(f"sensor_figures: no *_{suffix} in {folder} (run with --save-sensors)")
    _, when, path = min(found)
    return path, when


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--camera", default="cam_sw")
    ap.add_argument("--at", type=float, default=30.0, help="camera frame time (s)")
    ap.add_argument("--thermal", default="ir_s")
    ap.add_argument("--thermal-at", type=float, default=23.0, help="thermal frame time (s)")
    ap.add_argument("--out", type=Path, default=Path("docs"))
    a = ap.parse_args(argv)
    sensors = a.run / "sensors"
    rgb, t_rgb = _nearest(sensors / a.camera, "rgb.png", a.at)
    shutil.copyfile(rgb, a.out / f"{a.camera}_rgb.png")
    path, t_ir = _nearest(sensors / a.thermal, "thermal_ck.png", a.thermal_at)
    temp = read_thermal_c(path)
    fig, ax = plt.subplots(figsize=(4.2, 3.0), constrained_layout=True)
    im = ax.imshow(temp, cmap="inferno")
    ax.set_axis_off()
    fig.colorbar(im, ax=ax, label="°C as reported", shrink=0.9)  # noise and offset included
    ax.set_title(f"{a.thermal} at t = {t_ir:.1f} s", fontsize=9)
    fig.savefig(a.out / f"{a.thermal}_thermal.png", dpi=110)
    plt.close(fig)
    print(f"{a.camera} at {t_rgb:.1f} s, {a.thermal} at {t_ir:.1f} s -> {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
