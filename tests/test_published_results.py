"""The published tracking figures are the committed sweep's: docs/bench_summary.md is what
tools/bench_table.py writes from docs/bench_sweep/results.csv, and every cell of the README's headline
table is that sweep's mean and 95 % interval — so a figure can't go stale without a test failing."""

from __future__ import annotations

import os
import re

from tests.conftest import ROOT
from tools.bench_table import cell, groups, read

SWEEP = ROOT / "docs" / "bench_sweep"
COLUMNS = {"MOTA": ("mota", 3), "IDF1": ("idf1", 3), "HOTA": ("hota", 3), "GOSPA (m)": ("gospa", 2)}


def test_the_bench_summary_is_written_from_the_committed_sweep(tmp_path):
    from tools.bench_table import main

    cwd = os.getcwd()
    try:
        os.chdir(ROOT)  # the summary names the sweep by the path it was given
        assert main(["docs/bench_sweep", "--summary", str(tmp_path / "summary.md")]) == 0
    finally:
        os.chdir(cwd)
    assert (tmp_path / "summary.md").read_text() == (ROOT / "docs" / "bench_summary.md").read_text()


def _headline_rows() -> tuple[list[str], list[list[str]]]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Headline results") :]
    table = re.search(r"\n(\| scenario \| strategy \|.*?)\n\n", section, re.S).group(1).splitlines()
    split = [[c.strip().replace("**", "") for c in line.strip("|").split("|")] for line in table]
    return split[0], split[2:]


def test_every_headline_cell_is_the_committed_sweeps_mean_and_interval():
    header, rows = _headline_rows()
    by_group = groups(read([SWEEP]), None)
    assert len(rows) >= 10
    for scenario, strategy, *cells in rows:
        strategy = strategy.split()[0]  # "cnn3d-kf (learned detection)"
        runs = by_group[(scenario, strategy)]
        assert len(runs) == 5, (scenario, strategy)
        for title, shown in zip(header[2:], cells, strict=True):
            key, digits = COLUMNS[title]
            assert shown == cell([float(r[key]) for r in runs], digits), (scenario, strategy, title)
