"""The site's 3D map as a fixed camera sees it: which pixels look at bare floor when the building is empty.

A real installation gets this from its CAD/BIM model and the camera calibration; here it is rendered from
the layout (static geometry only: no actor, nothing from the run), once per camera.
"""

from __future__ import annotations

import numpy as np
import open3d as o3d

from perception.camera_model import PinholeCamera
from sim.scenario.models import Scenario
from sim.sensors.camera import camera_rotation
from sim.sensors.geometry import static_mesh
from sim.sensors.raycast import StaticScene
from sim.world.kinds import CLASS_IDS
from sim.world.layout import build_static_world


class SiteMap:
    def __init__(self, scenario: Scenario):
        self.scene = StaticScene(static_mesh(build_static_world(scenario.layout, np.random.default_rng(0))))
        self._floor: dict[str, np.ndarray] = {}

    def floor_mask(self, spec) -> np.ndarray:
        """(h, w) True where the empty building shows floor to the camera `spec` (cached per sensor)."""
        if spec.id not in self._floor:
            w, h = spec.resolution
            cam = PinholeCamera.from_hfov(w, h, spec.hfov_deg, spec.position, camera_rotation(spec))
            d = cam.pixel_directions()
            rays = np.hstack([np.broadcast_to(cam.t_wc, d.shape), d]).astype(np.float32)
            hits = self.scene.cast(o3d.core.Tensor(rays))
            self._floor[spec.id] = (hits.cls == CLASS_IDS["floor"]).reshape(h, w)
        return self._floor[spec.id]
