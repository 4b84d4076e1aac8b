"""The site's 3D map as a fixed camera sees it: which pixels look at bare floor, or at fixed hot equipment,
when the building is empty.

A real installation gets this from its CAD/BIM model, its warehouse-management system (where the pallets
are) and the camera calibration; here it is rendered from the run's static world (layout and pallets:
no actor, nothing dynamic), once per camera.
"""

from __future__ import annotations

import numpy as np
import open3d as o3d

from perception.camera_model import PinholeCamera
from sim.sensors.camera import camera_rotation, shade
from sim.sensors.geometry import static_mesh
from sim.sensors.raycast import StaticScene
from sim.sensors.thermal import static_temperature
from sim.world.kinds import CLASS_IDS
from sim.world.layout import StaticWorld


class SiteMap:
    def __init__(self, static: StaticWorld):
        self.scene = StaticScene(static_mesh(static))
        self._views: dict[str, tuple] = {}

    def _view(self, spec):
        if spec.id not in self._views:
            w, h = spec.resolution
            cam = PinholeCamera.from_hfov(w, h, spec.hfov_deg, spec.position, camera_rotation(spec))
            d = cam.pixel_directions()
            rays = np.hstack([np.broadcast_to(cam.t_wc, d.shape), d]).astype(np.float32)
            self._views[spec.id] = (self.scene.cast(o3d.core.Tensor(rays)), rays, (h, w))
        return self._views[spec.id]

    def floor_mask(self, spec) -> np.ndarray:
        """(h, w) True where the empty building shows floor to the camera `spec` (cached per sensor)."""
        hits, _, shape = self._view(spec)
        return (hits.cls == CLASS_IDS["floor"]).reshape(shape)

    def fixed_heat_mask(self, spec, heat_sources, ambient_c: float, delta_c: float) -> np.ndarray:
        """(h, w) True where the thermal camera `spec` sees fixed hot equipment (chargers, heaters from
        the layout) more than `delta_c` above ambient when the building is empty: an installation masks
        these, or every frame has a warm blob there."""
        hits, rays, shape = self._view(spec)
        temp = static_temperature(hits, rays, list(heat_sources), ambient_c)
        return (temp > ambient_c + delta_c).reshape(shape)

    def reference_rgb(self, spec) -> np.ndarray:
        """The camera's view of the empty building (a reference frame taken at installation), 0–255."""
        hits, rays, shape = self._view(spec)
        rgb = np.clip(shade(hits.cls, hits.normal, rays[:, 3:], hits.t), 0, 1) * 255
        return rgb.reshape(*shape, 3).astype(np.float32)
