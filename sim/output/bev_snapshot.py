"""`bev_snapshot.npz`: the BEV map at one step (evidence, graph cut, threshold, semantics, rasterised
truth, the step's detections), kept so `plots/bev.png` can be redrawn by `whsim plot`."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from perception.bev_map import BevState
from sim.output.atomic import atomic_write_bytes

NAME = "bev_snapshot.npz"


def save_snapshot(
    out: Path, state: BevState, grid, semantics: np.ndarray, truth: np.ndarray, detections: np.ndarray
) -> None:
    """`detections`: (n, 2) positions of the position detections made within the last output period."""
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        t=state.t,
        origin=np.asarray(grid.origin),
        resolution=grid.resolution,
        logodds=state.evidence.logodds.astype(np.float32),
        views=state.evidence.views.astype(np.int8),
        known=state.evidence.known,
        graph_cut=state.graph_cut,
        threshold=state.threshold,
        semantics=semantics.astype(np.int8),
        truth=truth.astype(np.int8),
        detections=np.asarray(detections, float).reshape(-1, 2),
    )
    atomic_write_bytes(Path(out) / NAME, buf.getvalue())


def load_snapshot(out: Path) -> dict | None:
    path = Path(out) / NAME
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
