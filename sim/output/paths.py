"""Folder names made from the user's text (a scenario's `name`): they stay one plain folder name, so no
scenario content can make whsim write outside the directory it was given."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_FOLDER_CHARS = 100


def folder_name(text: str) -> str:
    """A safe folder name for `text`: runs of other characters become `_`, no leading dot (`..`, hidden
    files), at most `MAX_FOLDER_CHARS`; `scenario` when nothing is left."""
    name = _UNSAFE.sub("_", text).lstrip(".")[:MAX_FOLDER_CHARS]
    return name or "scenario"
