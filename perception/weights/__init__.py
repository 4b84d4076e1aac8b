"""Shipped weights of the learned perception modules (model cards in docs/models/)."""

from pathlib import Path

POINTNET = Path(__file__).with_name("pointnet.pt")
CNN3D = Path(__file__).with_name("cnn3d.pt")
