"""Which files of a `whsim dataset` directory belong to it: those its dataset.json names."""

from __future__ import annotations

import json
from pathlib import Path


def split_files(data: Path, split: str, pattern: str) -> list[Path]:
    """The files of `split` that `data/dataset.json` lists — a rerun with fewer scenes or another seed
    leaves earlier files in the folder, which training must not read; every file matching `pattern`
    where there is no manifest or it is older than the list."""
    try:
        listed = json.loads((data / "dataset.json").read_text())["splits"][split]["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return sorted((data / split).glob(pattern))
    return [data / split / str(name) for name in listed]
