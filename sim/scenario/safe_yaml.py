"""Reading a scenario's YAML within limits, checked on the composed node graph before any value is built,
so a hostile file is refused in milliseconds: too large, nested too deep, an alias "bomb" that would
expand to millions of values, a recursive alias, a scalar too long, a number with more digits than any
scenario value has (Python refuses to convert integers past 4300 digits), or a key given twice in one
mapping (YAML keeps the last one silently)."""

from __future__ import annotations

import yaml

MAX_CHARS = 2_000_000  # a scenario is a few kB; 2 MB is thousands of actors with long waypoint lists
MAX_DEPTH = 32  # the deepest scenario field is 7 levels down
MAX_VALUES = 200_000  # nodes after alias expansion
MAX_SCALAR_CHARS = 10_000
MAX_NUMBER_CHARS = 64
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class YamlLimitError(ValueError):
    """A document past a limit: the 1-based line where it shows (or None) and why."""

    def __init__(self, line: int | None, message: str):
        self.line, self.message = line, message
        super().__init__(message)


def compose(text: str) -> yaml.Node | None:
    """The document's node graph, checked against the limits; yaml.YAMLError for malformed YAML."""
    if len(text) > MAX_CHARS:
        raise YamlLimitError(
            None, f"{len(text):,} characters; a scenario file may have at most {MAX_CHARS:,}"
        )
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise YamlLimitError(
            None, f"nested too deeply; a scenario nests at most {MAX_DEPTH} levels"
        ) from None
    if root is not None:
        _measure(root, {}, 1)
    return root


def construct(root: yaml.Node | None):
    """Python values of a checked node graph (the safe constructor: plain data only)."""
    if root is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _line(node) -> int:
    return node.start_mark.line + 1


def _measure(node, memo: dict, depth: int) -> tuple[int, int]:
    """(values `node` expands to, counting aliases every time they are used; its height); raises past a
    limit. Each distinct node is measured once, so a bomb costs as little as its text."""
    key = id(node)
    if key not in memo:
        memo[key] = None
        if isinstance(node, yaml.ScalarNode):
            _check_scalar(node)
            memo[key] = (1, 1)
        else:
            if isinstance(node, yaml.MappingNode):
                _check_keys(node)
            kids = (
                [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
            )
            sizes, height = 1, 1
            for k in kids:
                if depth + 1 > MAX_DEPTH:
                    raise YamlLimitError(_line(k), f"nested more than {MAX_DEPTH} levels deep")
                size, h = _measure(k, memo, depth + 1)
                sizes, height = sizes + size, max(height, h + 1)
                if sizes > MAX_VALUES:
                    raise YamlLimitError(
                        _line(node), f"expands to more than {MAX_VALUES:,} values (aliases included)"
                    )
            memo[key] = (sizes, height)
    if memo[key] is None:
        raise YamlLimitError(_line(node), "an alias refers to a node that contains it (recursive alias)")
    if depth + memo[key][1] - 1 > MAX_DEPTH:
        raise YamlLimitError(_line(node), f"nested more than {MAX_DEPTH} levels deep")
    return memo[key]


def _check_keys(node: yaml.MappingNode) -> None:
    """A key given twice in one mapping: YAML would keep the last silently, hiding a typo or a paste."""
    seen: dict[str, int] = {}
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
            if key.value in seen:
                raise YamlLimitError(
                    _line(key),
                    f"key '{key.value}' is given twice in one mapping (first on line {seen[key.value]}); "
                    "only one may stay",
                )
            seen[key.value] = _line(key)


def _check_scalar(node) -> None:
    n = len(node.value)
    if n > MAX_SCALAR_CHARS:
        raise YamlLimitError(_line(node), f"a value of {n:,} characters; at most {MAX_SCALAR_CHARS:,}")
    if node.tag in _NUMBER_TAGS and n > MAX_NUMBER_CHARS:
        raise YamlLimitError(
            _line(node), f"a number written with {n:,} characters; at most {MAX_NUMBER_CHARS}"
        )
