"""Did-you-mean hints for misspelt keys and names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: object, options: Iterable[object]) -> str:
    """'; did you mean 'x'?' for the closest option, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
