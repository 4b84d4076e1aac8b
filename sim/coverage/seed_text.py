"""How a placement's report and files name the traffic seeds they used: `11..15`, `7`, or `none`."""

from __future__ import annotations


def seed_range(seeds: list[int]) -> str:
    """Consecutive seeds as 'first..last' (one seed as itself; none as 'none')."""
    if not seeds:
        return "none"
    return str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}..{seeds[-1]}"
