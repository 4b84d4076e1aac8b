"""Surface properties per semantic class (SPEC §3 ids): camera albedo and LiDAR reflectivity at 905 nm.

Albedos are plausible sRGB reflectances of warehouse surfaces (sealed concrete floor, painted walls,
blue/orange pallet racking, wooden pallets with cardboard loads, yellow forklifts, grey AGVs, hi-vis
orange vests). LiDAR reflectivities follow the ranges Velodyne's VLP-16 manual gives for its calibrated
reflectivity (0–100 diffuse; retro-reflectors above): concrete ≈ 20–30 %, painted steel ≈ 50–60 %,
retro-reflective safety tape on vehicles and vests ≈ 80 %+.
"""

from __future__ import annotations

import numpy as np

# index = class id: floor, wall, rack, pallet, forklift, agv, worker, other
ALBEDO_RGB = np.array(
    [
        [0.55, 0.55, 0.52],  # floor: sealed concrete
        [0.80, 0.80, 0.76],  # wall: painted
        [0.15, 0.30, 0.70],  # rack: blue uprights, orange beams averaged to blue-ish
        [0.62, 0.47, 0.28],  # pallet: wood and cardboard
        [0.95, 0.75, 0.10],  # forklift: safety yellow
        [0.35, 0.37, 0.40],  # agv: grey
        [1.00, 0.45, 0.10],  # worker: hi-vis orange
        [0.50, 0.50, 0.50],  # other
    ]
)
REFLECTIVITY = np.array([0.25, 0.50, 0.55, 0.35, 0.80, 0.45, 0.85, 0.30])
SKY_RGB = np.array(
    [0.12, 0.12, 0.14]
)  # a ray that leaves through the (unmodelled) roof sees the dark ceiling
