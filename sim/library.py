"""The shipped scenarios: found by name on the command line (`whsim run default`) and listed by
`whsim scenarios`. A path that exists always wins over a name."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import yaml


def shipped() -> dict[str, Path]:
    """Name → file of every shipped scenario (the `scenarios` package's YAML files)."""
    folder = Path(str(files("scenarios")))
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def resolve(arg: str | Path) -> Path:
    """`arg` as a path when it names a file (or looks like one), else the shipped scenario of that name;
    a bare name that is neither is refused with the closest shipped names."""
    from sim.errors import UsageError
    from sim.scenario.suggest import did_you_mean

    path = Path(arg)
    text = str(arg)
    if path.exists() or "/" in text or "\\" in text or path.suffix in (".yaml", ".yml"):
        return path
    library = shipped()
    if text in library:
        return library[text]
    raise UsageError(
        f"'{text}' is neither a file nor a shipped scenario{did_you_mean(text, library)} "
        f"(shipped: {', '.join(library)}; `whsim scenarios` describes them)"
    )


def cmd_scenarios(args) -> int:
    """Each shipped scenario's name and one-line description."""
    library = shipped()
    width = max(map(len, library), default=0)
    for name, path in library.items():
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))  # our own files, checked by the tests
        print(f"{name:<{width}}  {doc.get('description', '')}")
    return 0
