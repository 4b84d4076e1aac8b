"""Shipped weights of the learned perception modules (model cards in docs/models/)."""

from pathlib import Path

POINTNET = Path(__file__).with_name("pointnet.pt")
CNN3D = Path(__file__).with_name("cnn3d.pt")
CNN3D_B = Path(__file__).with_name("cnn3d_b.pt")  # the same recipe, batches channels last: other weights
CNN3D_ENSEMBLE = (CNN3D, CNN3D_B)  # the 3D-CNN front-end's default: both networks' maps averaged
