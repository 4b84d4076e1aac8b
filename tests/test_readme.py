"""The README's Python quick-start runs as written and prints what it says."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex

from tests.conftest import ROOT


def test_the_python_quick_start_runs():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 10
    out = io.StringIO()
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    m = re.fullmatch(r"t = 1 s: (\d+) LiDAR returns; actors \((.*)\)\n", out.getvalue())
    assert m, out.getvalue()
    assert int(m.group(1)) > 10_000 and "'fl1'" in m.group(2) and "'w4'" in m.group(2)


def _readme_commands() -> list[str]:
    """Every `whsim …` line of the README's shell blocks, comments dropped."""
    text = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        lines += [re.split(r"\s#\s", line)[0].strip() for line in block.splitlines()]
    return [line for line in lines if line.startswith("whsim ")]


def test_every_readme_command_parses_and_names_what_exists():
    """Each command is valid for the CLI's parser, and its scenario arguments are files or shipped names."""
    from sim.cli import build_parser
    from sim.library import resolve

    commands = _readme_commands()
    assert len(commands) >= 10
    parser = build_parser()
    for cmd in commands:
        # `whsim bench … --scheduler ADDRESS` elides the sweep of the line before it
        args = shlex.split(cmd.replace("…", "scenarios/default.yaml --strategies all --seeds 5 --out x"))[1:]
        try:
            parsed = parser.parse_args(args)
        except SystemExit:
            raise AssertionError(f"README command does not parse: {cmd}") from None
        for name in getattr(parsed, "scenarios", None) or [getattr(parsed, "scenario", None)]:
            if name is None:
                continue
            if "*" in str(name):  # a shell glob
                assert list(ROOT.glob(str(name))), cmd
            else:
                assert (ROOT / name).is_file() or resolve(name).is_file(), cmd


def test_every_repository_file_the_readme_names_exists():
    text = (ROOT / "README.md").read_text()
    named = set(re.findall(r"\b((?:docs|scenarios|tools|perception|sim|fusion|tests)/[\w./-]+\.\w+)", text))
    assert len(named) >= 10
    missing = sorted(p for p in named if not (ROOT / p).is_file())
    assert not missing, missing
