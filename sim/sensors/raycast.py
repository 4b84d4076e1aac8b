"""Ray casting through Open3D's RaycastingScene (Embree): a static scene built once, a small actor scene
built per tick, and the nearest hit of the two.

Sensors are fixed, so each casts its rays into the static scene once; per tick only the rays that can reach
an actor are cast into the actor scene: each sensor's ray grid knows which of its rays pass near a
bounding sphere (`candidates`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import open3d as o3d

from sim.sensors.geometry import ActorMeshes, Mesh

ACTOR_INSTANCE_BASE = 100_000  # instance id of actor k is ACTOR_INSTANCE_BASE + k (scenario order)
_INVALID = np.uint32(0xFFFFFFFF)


@dataclass(frozen=True)
class Hits:
    """Per ray: distance (inf on a miss), unit surface normal, semantic class and instance (0 on a miss)."""

    t: np.ndarray  # (n,) float32
    normal: np.ndarray  # (n, 3) float32
    cls: np.ndarray  # (n,) uint8
    instance: np.ndarray  # (n,) int32

    @property
    def hit(self) -> np.ndarray:
        return np.isfinite(self.t)


def _scene(mesh_vertices: np.ndarray, triangles: np.ndarray) -> o3d.t.geometry.RaycastingScene:
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(np.ascontiguousarray(mesh_vertices, np.float32)),
        o3d.core.Tensor(np.ascontiguousarray(triangles, np.uint32)),
    )
    return scene


def _hits(result: dict, tri_class: np.ndarray, tri_instance: np.ndarray) -> Hits:
    prim = result["primitive_ids"].numpy()
    hit = prim != _INVALID
    idx = np.where(hit, prim, 0).astype(np.int64)
    return Hits(
        result["t_hit"].numpy(),
        result["primitive_normals"].numpy(),
        np.where(hit, tri_class[idx], 0).astype(np.uint8),
        np.where(hit, tri_instance[idx], 0).astype(np.int32),
    )


class StaticScene:
    """The layout's geometry, built once per run."""

    def __init__(self, mesh: Mesh):
        self.mesh = mesh
        self.scene = _scene(mesh.vertices, mesh.triangles)

    def cast(self, rays: o3d.core.Tensor) -> Hits:
        return _hits(self.scene.cast_rays(rays), self.mesh.tri_class, self.mesh.tri_instance)


class ActorScene:
    """The actors present at one tick, posed; built once and shared by every sensor due at that tick."""

    def __init__(
        self, meshes: ActorMeshes, rows: np.ndarray, xy: np.ndarray, yaw: np.ndarray, instances: np.ndarray
    ):
        """`rows` picks the templates of the actors present; `instances` their instance ids."""
        self.rows = rows
        nv = meshes.local.shape[1]
        verts = meshes.posed(xy, yaw, rows)
        # Triangles of the present actors, re-indexed into the compacted vertex array.
        keep = np.isin(meshes.tri_owner, rows)
        owner = meshes.tri_owner[keep]
        new_row = np.empty(meshes.local.shape[0], np.int64)
        new_row[rows] = np.arange(len(rows))
        tris = meshes.triangles[keep] - (owner * nv)[:, None] + (new_row[owner] * nv)[:, None]
        self.tri_class = meshes.tri_class[keep]
        self.tri_instance = instances[new_row[owner]].astype(np.int32)
        self.centres = np.column_stack([xy, meshes.local[rows][:, :, 2].max(axis=1) / 2])
        self.radius = meshes.radius[rows]
        self.vertices, self.triangles = verts, tris  # world frame, for anyone building a combined scene
        self.scene = _scene(verts, tris) if len(rows) else None

    def cast(self, rays: o3d.core.Tensor) -> Hits:
        return _hits(self.scene.cast_rays(rays), self.tri_class, self.tri_instance)


def cast_world(
    static_hits: Hits, actors: ActorScene | None, rays: np.ndarray, candidates: np.ndarray
) -> tuple[Hits, np.ndarray]:
    """Nearest hit of each ray (n, 6: origin, unit direction) over the static and the actor scene.

    Sensors do not move and neither does the layout, so each sensor casts its rays into the static scene
    once (`static_hits`); per tick only the `candidates` (rays that may reach an actor) are cast into the
    actor scene, and the hits that come nearer replace the static ones. Returns the hits and the indices
    of the rays whose hit changed."""
    none = np.zeros(0, np.int64)
    if actors is None or actors.scene is None or candidates.size == 0:
        return static_hits, none
    ha = actors.cast(o3d.core.Tensor(np.ascontiguousarray(rays[candidates], np.float32)))
    closer = ha.t < static_hits.t[candidates]
    if not closer.any():
        return static_hits, none
    idx = candidates[closer]
    h = static_hits
    t, normal, cls, inst = h.t.copy(), h.normal.copy(), h.cls.copy(), h.instance.copy()
    t[idx] = ha.t[closer]
    normal[idx] = ha.normal[closer]
    cls[idx] = ha.cls[closer]
    inst[idx] = ha.instance[closer]
    return Hits(t, normal, cls, inst), idx
