"""Inverse perspective mapping of a fixed camera's foreground into a BEV grid.

The floor homography H = K [r1 r2 t] maps each cell centre (x, y, 0) to the pixel that sees it, so a
fixed camera's lookup table is computed once (`ground_view`) and every frame is a gather. That is exact
for the floor and wrong for anything standing on it: a foreground pixel only says that the floor point
behind it is hidden, and a tall body smears far beyond where it stands. So each foreground blob's floor
contact points are found too (the blob's lowest pixels along the image's world verticals: where it
touches the floor), and a cell is called occupied only when its foreground pixel lies
within `object_depth_m` of a contact (`contact_points`). Foreground further away is occlusion (unknown);
floor pixels that show background are free; cells out of view, or whose floor the empty building already
hides (`floor_mask`: a rack in between), are unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from perception.bev import BevGrid
from perception.camera_model import PinholeCamera
from perception.evidence import Evidence
from perception.morphology import bounding_box, within_distance


@dataclass(frozen=True)
class GroundView:
    """Where each BEV cell centre appears in one fixed camera (row-major over the grid, flattened)."""

    pixel: np.ndarray  # (nx * ny,) flat pixel index v * width + u; 0 where not visible
    visible: np.ndarray  # (nx * ny,) bool: in front, inside the image, floor not hidden by the building
    shape: tuple[int, int]  # the grid's shape


def ground_view(camera: PinholeCamera, grid: BevGrid, floor_mask: np.ndarray | None = None) -> GroundView:
    """The camera's lookup table over `grid`; `floor_mask` (h, w) marks pixels that see bare floor in the
    empty building (the site map)."""
    x, y = grid.centres()
    X, Y = np.meshgrid(x, y, indexing="ij")
    p = camera.ground_homography() @ np.stack([X.ravel(), Y.ravel(), np.ones(X.size)])
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.rint(p[0] / p[2])
        v = np.rint(p[1] / p[2])
        ok = (p[2] > 1e-9) & (u >= 0) & (u < camera.width) & (v >= 0) & (v < camera.height)
        pixel = np.where(ok, v * camera.width + u, 0).astype(np.int64)  # NaN/inf only where not ok
    if floor_mask is not None:
        ok &= floor_mask.ravel()[pixel]
    return GroundView(pixel, ok, grid.shape)


@dataclass(frozen=True)
class Verticals:
    """How world verticals run through a fixed camera's image, per pixel.

    Verticals meet at the nadir's vanishing point K R_cw (0, 0, −1); away from the image centre of a wide,
    tilted camera they lean far from the image's columns, so "the pixel below" must follow them. Pixels
    are grouped into radial columns around that point (`column`, about one pixel wide at the image
    centre); along one column, `height` grows upwards in the world."""

    column: np.ndarray  # (h, w) int
    height: np.ndarray  # (h, w) float: distance from the vanishing point, pixels (or along the verticals)
    down: np.ndarray  # (h, w, 2) unit (du, dv) towards world-down


def verticals(camera: PinholeCamera) -> Verticals:
    vp = camera.K @ camera.R_wc.T @ np.array([0.0, 0.0, -1.0])
    u, v = np.meshgrid(np.arange(camera.width, dtype=float), np.arange(camera.height, dtype=float))
    if abs(vp[2]) < 1e-9 * np.linalg.norm(vp):  # a level camera: verticals are parallel
        down = np.broadcast_to(vp[:2] / np.linalg.norm(vp[:2]), (*u.shape, 2)).copy()
        across = np.array([-down[0, 0, 1], down[0, 0, 0]])
        column = np.rint(u * across[0] + v * across[1]).astype(np.int64)
        height = -(u * down[..., 0] + v * down[..., 1])
    else:
        rel = np.stack([u - vp[0] / vp[2], v - vp[1] / vp[2]], axis=-1)
        height = np.linalg.norm(rel, axis=-1)
        down = -rel / np.maximum(height, 1e-12)[..., None] * np.sign(vp[2])
        if vp[2] < 0:  # the nadir behind the camera: up is towards the vanishing point
            height = -height
        centre = np.hypot(camera.cx - vp[0] / vp[2], camera.cy - vp[1] / vp[2])
        column = np.rint(np.arctan2(rel[..., 1], rel[..., 0]) * max(centre, 1.0)).astype(np.int64)
    column -= column.min()
    return Verticals(column, height, down)


@dataclass(frozen=True)
class Contacts:
    """Foreground blobs and their floor contact points."""

    labels: np.ndarray  # (h, w) blob label per pixel, 0 background
    points: np.ndarray  # (m, 2) floor contact points with visible feet


def contact_points(
    mask: np.ndarray,
    camera: PinholeCamera,
    floor_mask: np.ndarray | None = None,
    min_pixels: int = 12,
    vert: Verticals | None = None,
    max_spread_m: float = 1.0,
) -> Contacts:
    """Floor contact points of the foreground blobs of `mask` (8-connected, at least `min_pixels`).

    In each radial column of each blob (`Verticals`; pass them in to reuse them) its lowest pixel, where
    the pixel below is background showing bare floor in the empty building (`floor_mask`). Feet hidden
    behind a rack or cut by the image border give no contact. Each is placed on the floor at the pixel's
    lower edge; those more than `max_spread_m` further from the camera than the blob's nearest contact
    are dropped."""
    h, w = mask.shape
    labels = np.zeros((h, w), np.int32)
    box = bounding_box(mask)  # the same blobs, numbered alike, from the box around the foreground
    sub, n = ndimage.label(mask[box], structure=np.ones((3, 3), bool)) if box else (None, 0)
    if n:
        sizes = np.bincount(sub.ravel(), minlength=n + 1)
        sub[(sizes < min_pixels)[sub]] = 0
        labels[box] = sub
    vert = verticals(camera) if vert is None else vert
    vs, us = np.nonzero(sub) if n else (np.empty(0, np.int64), np.empty(0, np.int64))
    if n:
        vs, us = vs + box[0].start, us + box[1].start
    column = vert.column[vs, us]
    c0 = int(column.min()) if len(column) else 0
    n_cols = int(column.max()) - c0 + 1 if len(column) else 1  # the radial columns the blobs span
    # Blobs renumbered 0.. over the kept ones only: the noise specks dropped above can be hundreds.
    kept = np.cumsum(sizes >= min_pixels) - 1 if n else np.zeros(1, np.int64)
    key = kept[labels[vs, us]] * n_cols + (column - c0)
    height = vert.height[vs, us]
    lowest = np.full((int(kept[-1]) + 1) * n_cols, np.inf)
    np.minimum.at(lowest, key, height)
    bottom = height <= lowest[key] + 1e-9
    vs, us = vs[bottom], us[bottom]
    d = vert.down[vs, us]
    un, vn = np.rint(us + d[:, 0]).astype(np.int64), np.rint(vs + d[:, 1]).astype(np.int64)
    ok = (un >= 0) & (un < w) & (vn >= 0) & (vn < h)
    un, vn = np.clip(un, 0, w - 1), np.clip(vn, 0, h - 1)
    ok &= ~mask[vn, un]
    if floor_mask is not None:
        ok &= floor_mask[vn, un]
    xy = camera.floor_points(us[ok] + 0.5 * d[ok, 0], vs[ok] + 0.5 * d[ok, 1])
    lab = labels[vs[ok], us[ok]]
    fin = np.isfinite(xy[:, 0])
    xy, lab = xy[fin], lab[fin]
    # Below a shoulder or a mast the next pixel shows floor far behind the body: such "contacts" lie
    # further from the camera than the blob's nearest contact by more than a body's depth.
    rng = np.hypot(xy[:, 0] - camera.t_wc[0], xy[:, 1] - camera.t_wc[1])
    nearest = np.full(n + 1, np.inf)
    np.minimum.at(nearest, lab, rng)
    return Contacts(labels, xy[rng <= nearest[lab] + max_spread_m])


def camera_evidence(
    mask: np.ndarray,
    contacts: Contacts,
    view: GroundView,
    grid: BevGrid,
    object_depth_m: float = 1.2,
    occupied_logodds: float = 1.5,
    free_logodds: float = -1.0,
) -> Evidence:
    """One camera's BEV evidence from its foreground `mask` and the blobs' `contacts` (see module doc).

    Log-odds: background floor `free_logodds`; contact cells, and foreground cells within `object_depth_m`
    of a contact point (≈ a forklift's half length: the contact is the near edge), `occupied_logodds`;
    other foreground and unseen cells 0, reported unknown. Every visible cell whose floor pixel shows
    foreground is kept apart as `foreground` (what the 3D-CNN may read beside the log-odds)."""
    vis = view.visible
    fg = (contacts.labels.ravel()[view.pixel] > 0) & vis
    touch = np.zeros(grid.shape, bool)
    ij = grid.world_to_cell(contacts.points)
    ij = ij[grid.inside(ij)]
    touch[ij[:, 0], ij[:, 1]] = True
    near = within_distance(ij, grid.shape, object_depth_m, grid.resolution)
    occupied = (fg & near.ravel()) | touch.ravel()
    free = vis & ~(mask.ravel()[view.pixel]) & ~occupied
    logodds = np.zeros(occupied.shape)  # occupied and free are disjoint
    logodds[free] = free_logodds
    logodds[occupied] = occupied_logodds
    return Evidence(
        logodds.reshape(view.shape), (occupied | free).reshape(view.shape), foreground=fg.reshape(view.shape)
    )
