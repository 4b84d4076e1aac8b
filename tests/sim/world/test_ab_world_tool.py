"""tools/ab_world.py: two checkouts timed in alternating processes; a folder that is not one is refused."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))

import ab_world  # noqa: E402


@pytest.mark.slow  # two interpreters start (≈ 3 s)
def test_the_same_checkout_twice_gives_comparable_factors():
    r = ab_world.compare(ROOT, ROOT, runs=2)
    assert r["a_best"] > 10 and r["b_best"] > 10  # 60 simulated seconds, far faster than real time
    assert r["a_best"] >= r["a_median"] and r["b_best"] >= r["b_median"]
    assert 0.2 < r["paired_ratio_median"] < 5


def test_not_a_checkout_is_a_one_line_error(tmp_path, capsys):
    assert ab_world.main([str(tmp_path), str(ROOT)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a whsim checkout" in err and "\n" not in err


@pytest.mark.slow  # two runs of 60 s of default with every sensor (≈ 20 s)
def test_with_sensors_the_loop_is_the_sensors_one():
    r = ab_world.compare(ROOT, ROOT, runs=1, sensors=True)
    # Every sensor costs far more than the world alone (`world_only` is ≈ 50× `none` here).
    assert 1 < r["a_best"] < 60 and 1 < r["b_best"] < 60
