"""`whsim perf`'s real-time factors: rounds interleave the parts, and each part's best round counts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import sim.perf as perf
import sim.perf_command as perf_command
import sim.recording as recording


def test_realtime_factors_interleave_rounds_and_keep_each_parts_best(monkeypatch):
    calls: list[str] = []
    # Round 1 is slow for the sensors, round 2 for the pipelines: each part's best comes from a
    # different round, which only interleaving (not "record twice, then replay") can show.
    sensor_s = iter([4.0, 2.0])
    pipeline_s = {"central": iter([3.0, 6.0]), "camera": iter([1.0, 5.0])}

    def record(scenario):
        calls.append("record")
        return SimpleNamespace(wall_s=next(sensor_s), steps=[None] * 201)  # 200 ticks of 0.05 s

    def replay(rec, name):
        calls.append(name)
        return next(pipeline_s[name])

    monkeypatch.setattr(recording.Recording, "record", staticmethod(record))
    monkeypatch.setattr(perf, "_pipeline_s", replay)
    monkeypatch.setattr(perf, "realtime_factor_world_only", lambda repeats: 123.0)
    monkeypatch.setattr(
        "sim.strategies.STRATEGIES",
        {
            "none": SimpleNamespace(fuser="none"),
            "central": SimpleNamespace(fuser="x"),
            "camera": SimpleNamespace(fuser="x"),
        },
    )
    out = perf.realtime_factors(repeats=5)
    assert calls == ["record", "central", "camera", "record", "central", "camera"]
    assert out == {
        "world_only": 123.0,
        "none": 10.0 / 2.0,
        "central": round(10.0 / 5.0, 2),
        "camera": round(10.0 / 3.0, 2),
    }


def test_chosen_strategies_run_as_many_rounds_as_repeats(monkeypatch):
    calls: list[str] = []

    def record(scenario):
        calls.append("record")
        return SimpleNamespace(wall_s=2.0, steps=[None] * 201)

    def replay(rec, name):
        calls.append(name)
        return 3.0

    monkeypatch.setattr(recording.Recording, "record", staticmethod(record))
    monkeypatch.setattr(perf, "_pipeline_s", replay)
    monkeypatch.setattr(perf, "realtime_factor_world_only", lambda repeats: 1.0)
    out = perf.realtime_factors(repeats=3, strategies=("central",))
    assert calls == ["record", "central"] * 3
    assert set(out) == {"world_only", "none", "central"} and out["central"] == 2.0


def test_perf_refuses_an_unknown_strategy_with_a_suggestion():
    import pytest

    from sim.runner import UsageError

    with pytest.raises(UsageError, match="did you mean 'central'"):
        perf_command.tracking_strategies("centrl")
    with pytest.raises(UsageError, match="name one or more"):
        perf_command.tracking_strategies(" , ")
    assert perf_command.tracking_strategies("central, camera") == ("central", "camera")


def test_device_reaches_the_network_figures_only(monkeypatch):
    seen = {}
    network = lambda repeats, device: seen.setdefault("cnn3d", device)  # noqa: E731
    other = lambda repeats: seen.setdefault("assoc", repeats)  # noqa: E731
    monkeypatch.setitem(perf.FIGURES, "cnn3d_ms_per_step", network)
    monkeypatch.setitem(perf.FIGURES, "association_ms_200x200", other)
    perf.run_perf("cnn3d_ms_per_step", 2, device="cuda")
    perf.run_perf("association_ms_200x200", 2, device="cuda")
    assert seen == {"cnn3d": "cuda", "assoc": 2}


def test_perf_on_cuda_without_a_gpu_is_a_usage_error():
    import subprocess
    import sys

    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    r = subprocess.run(
        [sys.executable, "-m", "sim", "perf", "--only", "cnn3d_ms_per_step", "--device", "cuda"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 2 and "--device cuda: no CUDA device here" in r.stderr
    assert "Traceback" not in r.stderr


def test_require_cuda_names_what_asked_for_it(monkeypatch):
    import torch

    from sim.errors import UsageError, require_cuda

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UsageError, match=r"^pipeline\.cnn3d\.device 'cuda': no CUDA device here \(torch "):
        require_cuda("pipeline.cnn3d.device 'cuda'")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    require_cuda("--device cuda")  # a machine with one: nothing to refuse
