"""Tags are the user's text: any characters stay one CSV field, and are never read as a format."""

from __future__ import annotations

import csv

from sim.loading import load_scenario
from sim.output.csv_text import csv_field
from sim.runner import run_scenario
from tests.conftest import scenario_dict, write_scenario

HOSTILE = ["50%", "%d%%", "a,b", 'say "hi"', "two\nlines", "{id}"]


def test_csv_field_quotes_only_what_needs_it():
    assert csv_field("E200-0001") == "E200-0001"
    assert csv_field("a,b") == '"a,b"' and csv_field('x"y') == '"x""y"'
    assert next(csv.reader([csv_field('x"y,z')])) == ['x"y,z']


def test_hostile_tags_keep_every_row_on_its_header(tmp_path):
    d = scenario_dict(duration_s=2, pipeline={"strategy": "oracle"})
    d["actors"][0]["tags"] = HOSTILE
    sc = load_scenario(write_scenario(tmp_path, d))
    run_scenario(sc, tmp_path / "run", plots=False)
    for name in ("ground_truth.csv", "tracks.csv", "detections.csv"):
        with open(tmp_path / "run" / name, newline="") as f:
            rows = list(csv.reader(f))
        assert {len(r) for r in rows} == {len(rows[0])}, name
    with open(tmp_path / "run" / "ground_truth.csv", newline="") as f:
        tags = {r["id"]: r["tags"] for r in csv.DictReader(f)}
    assert tags["fl1"] == ";".join(HOSTILE)
