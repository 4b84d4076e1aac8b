"""Run a command and sample its resident memory (with its children's) until it ends.

    python tools/rss_over_time.py --every 5 --out runs/rss_1h.csv -- whsim run default --duration 3600 --quiet

Writes `wall_s, rss_mib` rows and prints the peak; the process's own high-water mark (VmHWM) is read
at every sample too, so a spike between samples still counts. Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from pathlib import Path


def _tree(pid: int) -> list[int]:
    """The pid and every descendant, from /proc/<pid>/task/*/children."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    ap.add_argument("--out", type=Path, required=True, help="CSV of wall_s, rss_mib, hwm_mib")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    a = ap.parse_args(argv)
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        ap.error("no command given after --")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd)
    peak_rss = peak_hwm = 0
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["wall_s", "rss_mib", "hwm_mib"])
        while proc.poll() is None:
            pids = _tree(proc.pid)
            rss = sum(_status_kib(p, "VmRSS") for p in pids) / 1024
            hwm = max((_status_kib(p, "VmHWM") for p in pids), default=0) / 1024
            peak_rss, peak_hwm = max(peak_rss, rss), max(peak_hwm, hwm)
            w.writerow([f"{time.monotonic() - t0:.1f}", f"{rss:.1f}", f"{hwm:.1f}"])
            f.flush()
            time.sleep(a.every)
    print(
        f"exit {proc.returncode}; wall {time.monotonic() - t0:.0f} s; "
        f"peak RSS sampled {peak_rss:.0f} MiB, high-water mark {peak_hwm:.0f} MiB",
        file=sys.stderr,
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
