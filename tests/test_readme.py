"""The README's Python quick-start runs as written and prints what it says."""

from __future__ import annotations

import contextlib
import io
import os
import re

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
