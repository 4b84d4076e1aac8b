"""One foreground blob, several bodies: split a fixed camera's blob where its floor contact line jumps.

Two actors that overlap in the image make one connected blob (in `busy`, 62 % of the forklifts a camera
sees share a blob with someone), and the blob's lowest pixels then place only the nearer of them. Each
image column of a blob touches the floor at its lowest pixel; along one body that contact point moves
smoothly, but where a nearer body stands in front of a farther one it jumps by the distance between them
— the ground-contact reasoning of stixel segmentation (Badino, Franke, Pfeiffer 2009). So a blob is cut
into runs of columns whose contact points lie within `jump_m` of their neighbours' along the ground
(and fewer than `min_step_px` rows apart: far away a row spans metres); runs narrower than `min_run_px`
columns or `min_width_m` are overhangs (a torso over the legs, an arm, a forklift's guard seen from close
by) and go back to the neighbour nearest in range; and two runs at the same range with only nearer runs
between them are one body seen on both sides of an occluder. Used by `floor_blobs` for cameras and
thermal cameras alike.
"""

from __future__ import annotations

import itertools

import numpy as np

from perception.camera_model import PinholeCamera


def contact_ranges(camera: PinholeCamera, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Ground distance from the camera's foot to where the rays through pixels (u, v) meet the floor
    (NaN for rays that do not descend)."""
    xy = camera.floor_points(u, v)
    return np.hypot(xy[:, 0] - camera.t_wc[0], xy[:, 1] - camera.t_wc[1])


def contact_runs(
    vs: np.ndarray,
    us: np.ndarray,
    camera: PinholeCamera,
    jump_m: float,
    min_run_px: int = 3,
    floor_mask: np.ndarray | None = None,
    min_step_px: int = 1,
    min_width_m: float = 0.0,
) -> np.ndarray:
    """Body index (0, 1, …) of each pixel (vs, us) of one blob, by the runs of its contact line.

    A column whose lowest pixel does not sit on floor the empty site shows (`floor_mask`: a rack or a
    pallet hides the body's foot there; or the image's bottom edge) has no contact of its own and goes
    with the column before it: only seen contacts, side by side, can jump. A jump must also be at least
    `min_step_px` rows: far away a body's sloping contact line climbs a few rows a column, and a row
    there spans metres of floor. A piece must also be `min_width_m` wide at the distance of the blob's
    nearest contact (close to the camera an overhang spans many columns)."""
    u0 = int(us.min())
    cols = us - u0
    bottom = np.full(int(cols.max()) + 1, -1)
    np.maximum.at(bottom, cols, vs)
    present = np.flatnonzero(bottom >= 0)
    if jump_m <= 0 or present.size < 2 * min_run_px:
        return np.zeros(len(vs), int)
    below = bottom[present] + 1
    if not (np.abs(np.diff(below)) >= min_step_px).any():  # a smooth contact line: one body, and cheap
        return np.zeros(len(vs), int)
    seen = below < camera.height
    if floor_mask is not None:
        seen[seen] = floor_mask[below[seen], present[seen] + u0]
    # The floor point under each column's lowest pixel, cast through the pixel's lower edge.
    rng = np.where(seen, contact_ranges(camera, present + u0 + 0.0, below + 0.0), np.nan)
    known = np.flatnonzero(np.isfinite(rng))
    if known.size < 2 * min_run_px:
        return np.zeros(len(vs), int)
    adjacent = np.diff(known) == 1  # across columns of unseen contact the line may have sloped: no cut
    step = adjacent & (np.abs(np.diff(rng[known])) > jump_m) & (np.abs(np.diff(below[known])) >= min_step_px)
    run_known = np.r_[0, np.cumsum(step)]
    run = run_known[np.maximum(np.searchsorted(known, np.arange(present.size), side="right") - 1, 0)]
    near = float(np.hypot(np.nanmin(rng), camera.t_wc[2]))  # slant distance of the nearest contact
    body = _bodies(run, rng, jump_m, max(min_run_px, int(np.ceil(min_width_m * camera.f / near))))
    of_col = np.zeros(len(bottom), int)
    of_col[present] = body
    # Columns without pixels of their own (gaps the closing bridged) are never looked up.
    return of_col[cols]


def _bodies(run: np.ndarray, rng: np.ndarray, jump_m: float, min_run_px: int) -> np.ndarray:
    """Runs (a run index per column, in column order) → body index per column: pieces narrower than
    `min_run_px` joined to the neighbour nearest in range until none is left, then same-range pieces
    either side of nearer ones joined; bodies numbered from 0 in column order."""
    edges = np.r_[0, np.flatnonzero(np.diff(run)) + 1, len(run)]
    pieces = [[int(a), int(b)] for a, b in itertools.pairwise(edges)]  # column spans

    def level(p: list[int]) -> float:
        r = rng[p[0] : p[1]]
        r = r[np.isfinite(r)]
        return float(np.median(r)) if r.size else np.nan

    while len(pieces) > 1:
        widths = [b - a for a, b in pieces]
        i = int(np.argmin(widths))
        if widths[i] >= min_run_px:
            break
        here = level(pieces[i])
        near = [j for j in (i - 1, i + 1) if 0 <= j < len(pieces)]
        gap = [abs(level(pieces[j]) - here) for j in near]
        j = near[int(np.argmin([g if np.isfinite(g) else np.inf for g in gap]))]
        a, b = min(i, j), max(i, j)
        pieces[a : b + 1] = [[pieces[a][0], pieces[b][1]]]
    # The same far body on both sides of a nearer occluder.
    lv = [level(p) for p in pieces]
    body = list(range(len(pieces)))
    for a in range(len(pieces)):
        for b in range(a + 2, len(pieces)):
            inner = lv[a + 1 : b]
            if abs(lv[a] - lv[b]) <= jump_m and all(x < min(lv[a], lv[b]) - jump_m for x in inner):
                body = [body[a] if k == body[b] else k for k in body]
    _, index = np.unique(body, return_inverse=True)
    out = np.empty(len(run), int)
    for p, k in zip(pieces, index, strict=True):
        out[p[0] : p[1]] = k
    return out
