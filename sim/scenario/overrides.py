"""`--set PATH=VALUE`: change any field of a scenario file's data before it is validated, so an override
is checked exactly like the file (same one-line errors). PATH is dotted, with [i] for list items
(`pipeline.tracker.confirm_hits`, `sensors[2].rate_hz`); VALUE is read as YAML (`2`, `0.5`, `[1, 2]`,
`true`, `text`)."""

from __future__ import annotations

import re

import yaml

EXAMPLE = "e.g. pipeline.tracker.confirm_hits"
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class OverrideError(ValueError):
    """An override that cannot be applied: where (a field path, or () for the expression) and why."""

    def __init__(self, loc: tuple[str | int, ...], message: str):
        self.loc, self.message = loc, message
        super().__init__(message)


def parse_path(path: str) -> tuple[str | int, ...]:
    parts, pos = [], 0
    path = path.strip()
    while pos < len(path):
        if path[pos] == "." and parts:
            pos += 1
        m = _PART.match(path, pos)
        if not m:
            raise OverrideError((), f"cannot read the field path '{path}' ({EXAMPLE})")
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not parts or not isinstance(parts[0], str):
        raise OverrideError(f"cannot read the field path '{path}' ({EXAMPLE})")
    return tuple(parts)


def split(expr: str) -> tuple[tuple[str | int, ...], object]:
    """'a.b[1]=v' → (('a', 'b', 1), v read as YAML)."""
    if "=" not in expr:
        raise OverrideError((), f"expected PATH=VALUE, got '{expr}'")
    path, text = expr.split("=", 1)
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        value = text
    return parse_path(path), value


def apply(data: dict, loc: tuple[str | int, ...], value) -> None:
    """Set `value` at `loc` inside the YAML data, creating mappings on the way; lists must have the item."""
    node = data
    for k, part in enumerate(loc):
        last = k == len(loc) - 1
        if isinstance(part, int):
            if not isinstance(node, list):
                raise OverrideError(loc[:k], "is not a list")
            if not 0 <= part < len(node):
                raise OverrideError(loc[: k + 1], f"no such item (the list has {len(node)})")
        elif not isinstance(node, dict):
            raise OverrideError(loc[:k], "holds a value, not fields")
        if last:
            node[part] = value
        else:
            if isinstance(part, str) and part not in node:
                node[part] = {}
            node = node[part]
