"""Triangle meshes of the warehouse and its actors, with a semantic class and instance id per triangle.

Static solids are axis-aligned boxes (12 triangles each) merged into one mesh, built once. Each actor kind
has a body-frame template made of a few boxes, touching one another as one solid (forklift: body, overhead
guard on four posts, mast, two forks; AGV: a low deck; worker: legs, torso, head) that is posed per tick by
one rotation and translation of its vertices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.world.kinds import CLASS_IDS
from sim.world.layout import StaticWorld

# Unit cube corners and its 12 outward-facing triangles (counter-clockwise seen from outside).
_CUBE_V = (
    np.array(
        [[-1, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1], [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]],
        dtype=float,
    )
    / 2
)
_CUBE_T = np.array(
    [
        [0, 2, 1],
        [0, 3, 2],
        [4, 5, 6],
        [4, 6, 7],
        [0, 1, 5],
        [0, 5, 4],
        [2, 3, 7],
        [2, 7, 6],
        [1, 2, 6],
        [1, 6, 5],
        [3, 0, 4],
        [3, 4, 7],
    ],
    dtype=np.int64,
)
TRIS_PER_BOX = len(_CUBE_T)


@dataclass(frozen=True)
class Mesh:
    """Triangles with labels: vertices (n, 3), triangles (m, 3), class and instance per triangle."""

    vertices: np.ndarray
    triangles: np.ndarray
    tri_class: np.ndarray  # (m,) uint8 semantic class (SPEC §3)
    tri_instance: np.ndarray  # (m,) int32 instance id (0 = none)


def boxes_mesh(centers: np.ndarray, sizes: np.ndarray, classes: np.ndarray, instances: np.ndarray) -> Mesh:
    """One mesh of k axis-aligned boxes (vectorised: no loop over boxes)."""
    k = len(centers)
    verts = centers[:, None, :] + _CUBE_V[None, :, :] * sizes[:, None, :]
    tris = _CUBE_T[None, :, :] + 8 * np.arange(k)[:, None, None]
    return Mesh(
        verts.reshape(-1, 3),
        tris.reshape(-1, 3),
        np.repeat(np.asarray(classes, np.uint8), TRIS_PER_BOX),
        np.repeat(np.asarray(instances, np.int32), TRIS_PER_BOX),
    )


def static_mesh(world: StaticWorld) -> Mesh:
    """Floor plus every static box of the layout (walls, rack uprights and decks, pallets)."""
    L, W = world.size
    floor_t = 0.1
    centers = [(L / 2, W / 2, -floor_t / 2)] + [b.center for b in world.boxes]
    sizes = [(L + 1.0, W + 1.0, floor_t)] + [b.size for b in world.boxes]
    classes = [CLASS_IDS["floor"]] + [b.class_id for b in world.boxes]
    instances = [0] + [b.instance for b in world.boxes]
    return boxes_mesh(
        np.array(centers, float), np.array(sizes, float), np.array(classes), np.array(instances)
    )


def actor_template(kind: str, length: float, width: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    """Body-frame boxes (centres, sizes) of an actor whose bounding box is length × width × height,
    x forward, origin at the centre of the footprint on the floor."""
    L, W, H = length, width, height
    if kind == "forklift":
        # Counterbalance truck: chassis, overhead guard, mast at the front, two forks ahead of it.
        boxes = [
            ((-0.10 * L, 0.0, 0.25 * H), (0.70 * L, W, 0.50 * H)),  # chassis and counterweight
            ((-0.15 * L, 0.0, 0.90 * H), (0.45 * L, W, 0.04 * H)),  # overhead guard
            # Four posts carry the guard (ISO 6055 overhead guards stand on the truck's frame): without
            # them the guard floats, and a camera sees floor between it and the chassis.
            *(
                ((-0.15 * L + sx * 0.205 * L, sy * 0.46 * W, 0.69 * H), (0.03 * L, 0.06 * W, 0.38 * H))
                for sx in (-1, 1)
                for sy in (-1, 1)
            ),
            ((0.27 * L, 0.0, 0.50 * H), (0.06 * L, 0.7 * W, H)),  # mast
            ((0.40 * L, 0.28 * W, 0.04 * H), (0.20 * L, 0.10 * W, 0.05 * H)),  # left fork
            ((0.40 * L, -0.28 * W, 0.04 * H), (0.20 * L, 0.10 * W, 0.05 * H)),  # right fork
        ]
    elif kind == "agv":
        boxes = [((0.0, 0.0, 0.5 * H), (L, W, H))]
    elif kind == "worker":
        boxes = [
            ((0.0, 0.0, 0.24 * H), (0.5 * L, 0.8 * W, 0.48 * H)),  # legs
            ((0.0, 0.0, 0.64 * H), (0.8 * L, W, 0.32 * H)),  # torso and arms
            ((0.0, 0.0, 0.90 * H), (0.4 * L, 0.5 * W, 0.20 * H)),  # head
        ]
    else:  # pragma: no cover - kinds are validated
        raise ValueError(kind)
    c, s = zip(*boxes, strict=True)
    return np.array(c, float), np.array(s, float)


@dataclass(frozen=True)
class ActorMeshes:
    """Body-frame meshes of a set of actors, posed per tick into one world-frame mesh."""

    local: np.ndarray  # (n_actors, v, 3) vertices in body frame, padded to the largest template
    valid: np.ndarray  # (n_actors, v) which padded vertices are real
    triangles: np.ndarray  # (m, 3) into the flattened (n_actors * v) vertex array
    tri_class: np.ndarray
    tri_owner: np.ndarray  # (m,) row of the actor each triangle belongs to
    radius: np.ndarray  # (n_actors,) bounding-sphere radius of each template about (0, 0, h/2)

    def posed(self, xy: np.ndarray, yaw: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """World-frame vertices (k * v, 3) of the templates `rows` (default: all) at poses (x, y, yaw)."""
        local = self.local if rows is None else self.local[rows]
        c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
        lx, ly, lz = local[..., 0], local[..., 1], local[..., 2]
        out = np.empty(local.shape)
        out[..., 0] = xy[:, :1] + c * lx - s * ly
        out[..., 1] = xy[:, 1:2] + s * lx + c * ly
        out[..., 2] = lz
        return out.reshape(-1, 3)


def actor_meshes(kinds: list[str], sizes: np.ndarray, class_ids: np.ndarray) -> ActorMeshes:
    """Templates for the given actors (rows of `sizes` are length, width, height)."""
    if not kinds:
        z = np.zeros((0, 1, 3))
        return ActorMeshes(
            z,
            np.zeros((0, 1), bool),
            np.zeros((0, 3), np.int64),
            np.zeros(0, np.uint8),
            np.zeros(0, np.int64),
            np.zeros(0),
        )
    per = []
    for kind, (length, width, height) in zip(kinds, sizes, strict=True):
        centers, box_sizes = actor_template(kind, length, width, height)
        m = boxes_mesh(centers, box_sizes, np.zeros(len(centers)), np.zeros(len(centers)))
        per.append(m)
    nv = max(len(m.vertices) for m in per)
    local = np.zeros((len(per), nv, 3))
    valid = np.zeros((len(per), nv), bool)
    tris, owner, cls = [], [], []
    for k, m in enumerate(per):
        local[k, : len(m.vertices)] = m.vertices
        valid[k, : len(m.vertices)] = True
        tris.append(m.triangles + k * nv)
        owner.append(np.full(len(m.triangles), k))
        cls.append(np.full(len(m.triangles), class_ids[k], np.uint8))
    centre = np.zeros((len(per), 1, 3))
    centre[:, 0, 2] = sizes[:, 2] / 2
    radius = np.where(valid, np.linalg.norm(local - centre, axis=2), 0).max(axis=1)
    return ActorMeshes(local, valid, np.concatenate(tris), np.concatenate(cls), np.concatenate(owner), radius)
