"""`detections.csv` and `tracks.csv` (SPEC §6), streamed while the run goes and published atomically."""

from __future__ import annotations

from pathlib import Path

from sim.output.atomic import AtomicStream
from sim.output.csv_text import csv_field
from sim.output.ground_truth import time_decimals

DETECTION_COLUMNS = "t,source,sensor_id,x,y,cov_xx,cov_xy,cov_yy,class,score,tag"
TRACK_COLUMNS = "t,track_id,x,y,vx,vy,cov_xx,cov_xy,cov_yy,class,tag,status"


class TrackingWriter:
    def __init__(self, out: Path, dt_s: float):
        self.det = AtomicStream(Path(out) / "detections.csv")
        self.trk = AtomicStream(Path(out) / "tracks.csv")
        self.det.write(DETECTION_COLUMNS + "\n")
        self.trk.write(TRACK_COLUMNS + "\n")
        self._t = f"%.{max(3, time_decimals(dt_s))}f"

    def detections(self, rows) -> None:
        self.det.write(
            "".join(
                f"{self._t % d.t},{d.source},{d.sensor_id},{d.z[0]:.4f},{d.z[1]:.4f},"
                f"{d.R[0, 0]:.5f},{d.R[0, 1]:.5f},{d.R[1, 1]:.5f},{d.cls},{d.score:.3f},{csv_field(d.tag)}\n"
                for d in rows
            )
        )

    def tracks(self, t: float, states) -> None:
        ts = self._t % t
        self.trk.write(
            "".join(
                f"{ts},{s.id},{s.x[0]:.4f},{s.x[1]:.4f},{s.x[2]:.4f},{s.x[3]:.4f},"
                f"{s.P[0, 0]:.5f},{s.P[0, 1]:.5f},{s.P[1, 1]:.5f},{s.cls},"
                f"{csv_field(s.tag or '')},{s.status}\n"
                for s in states
            )
        )

    def commit(self) -> None:
        self.det.commit()
        self.trk.commit()

    def discard(self) -> None:
        self.det.discard()
        self.trk.discard()


def read_tracks(path: Path, confirmed_only: bool = True) -> dict[int, dict]:
    """Per track id: arrays t, x, y and its last class and tag, from a tracks.csv."""
    import csv

    import numpy as np

    out: dict[int, dict] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if confirmed_only and row["status"] != "confirmed":
                continue
            tr = out.setdefault(
                int(row["track_id"]), {"t": [], "x": [], "y": [], "class": "unknown", "tag": ""}
            )
            tr["t"].append(float(row["t"]))
            tr["x"].append(float(row["x"]))
            tr["y"].append(float(row["y"]))
            tr["class"], tr["tag"] = row["class"], row["tag"]
    for tr in out.values():
        for k in ("t", "x", "y"):
            tr[k] = np.array(tr[k])
    return out
