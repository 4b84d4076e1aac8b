"""Load a scenario file: safe YAML, pydantic validation, physics checks, errors a person can act on.

Every problem becomes one line `FILE:LINE: field.path: what was given; what is allowed` (SPEC §4).
"""

from __future__ import annotations

import copy
import difflib
import os
import stat
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario import overrides, safe_yaml
from sim.scenario.models import Scenario
from sim.scenario.suggest import did_you_mean

Loc = tuple[str | int, ...]
_ONE_LINE = str.maketrans({"\n": "\\n", "\r": "\\r", "\x00": "\\0"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    line: int | None
    path: str
    message: str
    loc: tuple = ()  # the field path as parts, for placing the problem (the text above is for people)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return text.translate(_ONE_LINE)  # a key or value holding a line break stays on one line


class ScenarioError(Exception):
    """A scenario file is unusable; `problems` says why, one line each."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def format_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --------------------------------------------------------------------------------------- YAML line map
def _line_map(root) -> dict[Loc, int]:
    """Map each key path in the YAML document (its composed, limit-checked node graph) to its 1-based line."""
    lines: dict[Loc, int] = {}

    def walk(node, path: Loc) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = k.value
                lines[(*path, key)] = k.start_mark.line + 1
                walk(v, (*path, key))
                lines[(*path, key)] = k.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, (*path, i))

    if root is not None:
        walk(root, ())
    return lines


def _line_for(lines: dict[Loc, int], loc: Loc) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


# ------------------------------------------------------------------------ walking the models along a loc
def _strip(tp: Any) -> Any:
    """Remove Annotated and Optional wrappers."""
    while True:
        origin = get_origin(tp)
        if origin is typing.Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
            else:
                return tp
        else:
            return tp


def _tagged_members(tp: Any) -> dict[str, type[BaseModel]]:
    """For a union of models told apart by a Literal `type` field: tag → model."""
    if get_origin(tp) not in (Union, types.UnionType):
        return {}
    out = {}
    for m in get_args(tp):
        if isinstance(m, type) and issubclass(m, BaseModel) and "type" in m.model_fields:
            ann = m.model_fields["type"].annotation
            if get_origin(ann) is Literal:
                out[get_args(ann)[0]] = m
    return out


def _field_keys(model: type[BaseModel]) -> dict[str, str]:
    """Keys a model accepts in YAML (alias when it has one) → attribute name."""
    return {(f.alias or name): name for name, f in model.model_fields.items()}


def _resolve(loc: Loc) -> tuple[Loc, type[BaseModel] | None, Any]:
    """Drop union-tag segments from a pydantic loc; also return the model owning the last key and the
    type expected at the loc (for suggestions)."""
    tp: Any = Scenario
    path: list[str | int] = []
    owner: type[BaseModel] | None = None
    i = 0
    while i < len(loc):
        part = loc[i]
        tp = _strip(tp)
        tags = _tagged_members(tp)
        if tags and isinstance(part, str) and part in tags:
            tp = tags[part]
            i += 1
            continue
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            owner = tp
            name = _field_keys(tp).get(str(part))
            tp = tp.model_fields[name].annotation if name else None
        elif get_origin(tp) in (list, tuple) and isinstance(part, int):
            args = get_args(tp)
            if get_origin(tp) is list or (len(args) == 2 and args[1] is Ellipsis):
                tp = args[0]
            else:
                tp = args[part] if part < len(args) else None
        else:
            tp = None
        path.append(part)
        i += 1
    return tuple(path), owner, tp


def _short(value: Any) -> str:
    s = repr(value)
    return s if len(s) <= 60 else s[:57] + "..."


def _explain(err: dict, owner: type[BaseModel] | None, tp: Any) -> str:
    kind = err["type"]
    given = err.get("input")
    if kind == "extra_forbidden":
        key = err["loc"][-1]
        allowed = list(_field_keys(owner)) if owner else []  # in the order the schema documents them
        return f"unknown key '{key}'{did_you_mean(key, allowed)} (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        tag = ctx.get("tag", given)
        return f"unknown type '{tag}'{did_you_mean(tag, tags)} (allowed: {', '.join(tags)})"
    if kind == "union_tag_not_found":
        return _missing_type(given, list(_tagged_members(_strip(tp))))
    if kind == "literal_error":
        allowed = list(get_args(_strip(tp))) if get_origin(_strip(tp)) is Literal else []
        hint = did_you_mean(given, allowed) if isinstance(given, str) else ""
        return f"got {_short(given)}{hint}; allowed: {', '.join(map(str, allowed))}"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    # A whole mapping or list given is the section the check was about, not a value worth echoing.
    echo = "input" in err and not isinstance(given, (dict, list))
    msg = f"{msg[0].lower()}{msg[1:]}"
    return f"{msg} (got {_short(given)})" if echo else msg


def _missing_type(given: Any, tags: list[str]) -> str:
    """No `type` key: say which values it takes, and point at the key that was probably meant."""
    hint = ""
    if isinstance(given, dict):
        used = [k for k, v in given.items() if isinstance(v, str) and v in tags and k != "type"]
        if used:
            hint = f"; did you mean 'type: {given[used[0]]}' instead of '{used[0]}: {given[used[0]]}'?"
        else:
            close = difflib.get_close_matches("type", [str(k) for k in given], n=1, cutoff=0.6)
            hint = f"; is '{close[0]}' a misspelling of 'type'?" if close else ""
    allowed = f" (one of: {', '.join(tags)})" if tags else ""
    return f"a 'type' key is required here{allowed}{hint}"


def problems_from_validation(exc: ValidationError, file: str, lines: dict[Loc, int]) -> list[Problem]:
    out = []
    for err in exc.errors():
        path, owner, tp = _resolve(tuple(err["loc"]))  # for an unknown key, owner is its parent model
        out.append(Problem(file, _line_for(lines, path), format_path(path), _explain(err, owner, tp), path))
    return out


# ----------------------------------------------------------------------------------------------- entry
Check = Callable[[Scenario], list[tuple[Loc, str]]]  # whole-scenario checks (sim.world.feasibility)


def read_scenario_text(path: str | Path) -> str:
    """The file's text; ScenarioError when it cannot be read, is not a regular file, or is too large."""
    name = str(path)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError([Problem(name, None, "", "is a directory, expected a YAML scenario file")])
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError([Problem(name, None, "", "not a regular file (a device or a pipe)")])
        if info.st_size > safe_yaml.MAX_CHARS * 4:  # UTF-8: at most 4 bytes a character
            size = f"{info.st_size / 1e6:.1f} MB"
            raise ScenarioError([Problem(name, None, "", f"{size}; a scenario file is at most a few MB")])
        with open(path, encoding="utf-8") as f:
            return f.read(safe_yaml.MAX_CHARS + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem(name, None, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ScenarioError([Problem(name, None, "", f"cannot read: {e}")]) from None


def _yaml_data(text: str, name: str):
    """(data, line map) of a scenario document, read within `safe_yaml`'s limits."""
    try:
        root = safe_yaml.compose(text)
        data = safe_yaml.construct(root)
    except safe_yaml.YamlLimitError as e:
        raise ScenarioError([Problem(name, e.line, "", e.message)]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ScenarioError([Problem(name, line, "", f"invalid YAML: {problem}")]) from None
    except (ValueError, TypeError, OverflowError) as e:  # a scalar the safe constructor cannot build
        raise ScenarioError([Problem(name, None, "", f"invalid YAML value: {e}".splitlines()[0])]) from None
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError([Problem(name, 1, "", f"expected a mapping of scenario keys, got {got}")])
    return data, _line_map(root)


def _with_sets(data: dict, sets: Sequence[str], name: str) -> dict[Loc, str]:
    """Apply `--set` expressions to the data; the set paths → the expression that set them."""
    where: dict[Loc, str] = {}
    problems = []
    for expr in sets:
        try:
            loc, value = overrides.split(expr)
            overrides.apply(data, loc, value)
            where[loc] = expr
        except overrides.OverrideError as e:
            problems.append(Problem(f"{name} (--set {expr})", None, format_path(e.loc), e.message))
    if problems:
        raise ScenarioError(problems)
    return where


def _place(name: str, lines: dict[Loc, int], sets: dict[Loc, str], loc: Loc, message: str) -> Problem:
    """A problem at `loc`: in the file at its line, or in the `--set` that gave that field."""
    for set_loc, expr in sets.items():
        n = min(len(loc), len(set_loc))
        if loc[:n] == set_loc[:n]:  # the set field, inside it, or the block it belongs to
            return Problem(f"{name} (--set {expr})", None, format_path(loc), message)
    return Problem(name, _line_for(lines, loc), format_path(loc), message)


def _physics_despite(data: dict, bad: list[Loc], check: Check | None) -> list[tuple[Loc, str]]:
    """The whole-scenario problems of a file that failed the schema, so that a file's problems come in
    one round: each bad field is removed (left to its default) and the rest checked. None when a problem
    cannot be set aside that way (a required field missing, a list item of the wrong kind) or the rest
    still fails; problems in or around a removed field are not repeated."""
    if check is None:
        return []
    repaired = copy.deepcopy(data)
    for loc in bad:
        if not loc or not isinstance(loc[-1], str):
            return []
        node = repaired
        try:
            for part in loc[:-1]:
                node = node[part]
        except (KeyError, IndexError, TypeError):
            return []
        if not isinstance(node, dict) or loc[-1] not in node:
            return []
        del node[loc[-1]]
    try:
        scenario = Scenario.model_validate(repaired)
    except ValidationError:
        return []
    near = [loc[: max(1, len(loc) - 1)] for loc in bad]  # the removed field's own block
    return [(loc, msg) for loc, msg in check(scenario) if not any(loc[: len(n)] == n for n in near)]


def parse_scenario(
    text: str, name: str = "<scenario>", *, check: Check | None = None, sets: Sequence[str] = ()
) -> Scenario:
    """Validate a scenario document (with `--set` overrides); `check` adds whole-scenario checks.
    Raises ScenarioError listing every problem."""
    data, lines = _yaml_data(text, name)
    set_at = _with_sets(data, sets, name)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        problems = problems_from_validation(e, name, lines)
        placed = [_place(name, lines, set_at, p.loc, p.message) if set_at else p for p in problems]
        more = _physics_despite(data, [p.loc for p in problems], check)
        raise ScenarioError(placed + [_place(name, lines, set_at, loc, msg) for loc, msg in more]) from None
    issues = check(scenario) if check is not None else []
    if issues:
        raise ScenarioError([_place(name, lines, set_at, loc, msg) for loc, msg in issues])
    return scenario
