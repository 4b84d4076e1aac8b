"""Size priors of the tracked classes, the one place perception's rules read them from.

The figures are the default bodies of the simulator's actor kinds (forklift 2.5 × 1.2 × 2.2 m with its
mast, AGV 1.0 × 0.7 × 0.4 m, worker 0.5 × 0.4 × 1.75 m), rounded as a site engineer would state them. A
LiDAR return's height is a lower bound of the body's (a VLP-16 at 4 m sees a worker's head and shoulders
only), so a return above a class's height rules that class out.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClassPriors:
    """Heights and footprint areas per class, and the hard rules that split BEV components by them."""

    height_m: dict[str, float] = field(default_factory=lambda: {"forklift": 2.2, "agv": 0.4, "worker": 1.75})
    area_m2: dict[str, float] = field(default_factory=lambda: {"forklift": 3.0, "agv": 0.7, "worker": 0.2})
    footprint_m: dict[str, tuple[float, float]] = field(  # length, width
        default_factory=lambda: {"forklift": (2.5, 1.2), "agv": (1.0, 0.7), "worker": (0.5, 0.4)}
    )
    agv_max_top_m: float = 0.8  # a component whose highest return is below this is an AGV
    forklift_min_area_m2: float = 1.2  # ... else a forklift when its footprint is larger than this
    forklift_min_top_m: float = 2.0  # ... or its highest return above this (the mast); else a worker

    def classify(self, top_m: float, area_m2: float, deep: bool = False) -> str:
        """A component's class from its highest return and its footprint; `deep`: pieces of one body
        further apart along the line of sight than a worker or an AGV is long (a forklift's face and mast)."""
        if top_m < self.agv_max_top_m:
            return "agv"
        if deep or area_m2 > self.forklift_min_area_m2 or top_m > self.forklift_min_top_m:
            return "forklift"
        return "worker"


DEFAULT_PRIORS = ClassPriors()
