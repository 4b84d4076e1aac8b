"""Ctrl-C and SIGTERM mid-step: the run stops once the step is whole, so its figures stay readable."""

from __future__ import annotations

import json
import os
import signal

import pytest

from sim import cli, scoring
from sim.interrupts import interrupts_between_steps
from tests.conftest import scenario_dict, write_scenario


def test_signal_inside_a_scorer_ends_the_run_after_that_step(tmp_path, monkeypatch):
    """Regression: a SIGTERM that landed between the detection scorer's two appends (scores, then hits)
    left arrays of unequal length, and finalising the run failed with an IndexError (exit 1, no
    metrics.json) instead of exit 130."""
    calls = []
    real = scoring.match_detections

    def match_then_signal(*args, **kwargs):
        calls.append(1)
        if len(calls) == 15:  # mid-way through `RunScorer.detections`, after the scores were appended
            os.kill(os.getpid(), signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "match_detections", match_then_signal)
    path = write_scenario(tmp_path, scenario_dict(duration_s=10, pipeline={"strategy": "camera"}))
    out = tmp_path / "run"
    assert cli.main(["run", str(path), "--out", str(out), "--quiet"]) == 130
    assert len(calls) >= 15, "the scorer never ran long enough to be interrupted"
    m = json.loads((out / "metrics.json").read_text())
    assert m["status"] == "interrupted" and 0 < m["steps"] < 200
    assert 0 <= m["detection"]["camera"]["ap"] <= 1


def test_handlers_come_back_after_the_block():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with interrupts_between_steps() as stop:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)  # both only recorded: this process lives on
        assert stop.signum in (signal.SIGINT, signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt):
            stop.check()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
