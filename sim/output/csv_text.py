"""User text (tags) as CSV fields: every row keeps exactly its header's columns, whatever a tag holds."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r'[",\r\n]')


def csv_field(text: str) -> str:
    """`text` as one CSV field (RFC 4180): quoted, quotes doubled, when it holds a comma, a quote or a line
    break; unchanged otherwise, so ordinary values read as they always did."""
    return '"' + text.replace('"', '""') + '"' if _SPECIAL.search(text) else text
