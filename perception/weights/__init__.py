"""Shipped weights of the learned perception modules (model cards in docs/models/)."""

from pathlib import Path

POINTNET = Path(__file__).with_name("pointnet.pt")
