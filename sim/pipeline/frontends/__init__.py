"""Front-ends, one module per kind of reading; importing this package registers them all."""

from sim.pipeline.frontends import beam, camera, cnn3d, lidar, oracle, pointnet, rfid, thermal  # noqa: F401
from sim.pipeline.frontends.base import FRONTENDS, FrontEndContext, FrontEndKind, FrontEndOutput, register

__all__ = ["FRONTENDS", "FrontEndContext", "FrontEndKind", "FrontEndOutput", "register"]
