"""The progress bar long commands show on a terminal (never with --quiet or when stderr is not a TTY)."""

from __future__ import annotations

import sys


def progress_bar(args, total: int, unit: str):
    """A tqdm bar on stderr, or None where there should be none."""
    if args.quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False)
