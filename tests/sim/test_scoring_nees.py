"""NEES split into its position and velocity parts: each follows χ²(2) when the covariance tells the
truth, and an over-covered part shows up as its own figure (the 4-D NEES mixes them)."""

from __future__ import annotations

import math

import numpy as np

from fusion.track import TrackState
from perception.classes import CLASS_NAMES
from sim.scoring import RunScorer
from sim.world.truth import TruthFrame


def test_position_and_velocity_nees_against_chi_square(tmp_path):
    rng = np.random.default_rng(5)
    P = np.diag([0.04, 0.09, 0.25, 0.16])
    claimed = P.copy()
    claimed[2:, 2:] *= 16  # the velocity part over-covered 16 times
    scorer = RunScorer(tmp_path, 0.1)
    n = 4000
    for k in range(n):
        truth = TruthFrame(
            k,
            0.1 * k,
            ("a",),
            np.array([CLASS_NAMES.index("worker")]),
            np.array([[5.0, 5.0, 0.9]]),
            np.zeros(1),
            np.array([[1.0, 0.0]]),
            np.array([[0.5, 0.5, 1.8]]),
            np.array([34.0]),
            ((),),
        )
        e = rng.multivariate_normal(np.zeros(4), P)
        x = np.r_[truth.xyz[0, :2], truth.vel[0]] - e
        scorer.tracks(truth.t, truth, [TrackState(1, truth.t, x, claimed, "confirmed", "worker", None)])
    scorer.close()
    (tmp_path / "ground_truth.csv").write_text(
        "t,id,class,x,y,z,yaw,vx,vy,length,width,height,tags,temperature_c\n"
    )
    (tmp_path / "tracks.csv").write_text("t,track_id,x,y,vx,vy,cov_xx,cov_xy,cov_yy,class,tag,status\n")
    m = scorer.result(tmp_path)["tracking"]
    lo, hi = -2 * math.log(0.975), -2 * math.log(0.025)  # χ²(2) two-sided 95 % band
    assert abs(m["nees_position_mean"] - 2.0) < 4 * 2 / math.sqrt(n)  # χ²(2): mean 2, sd 2
    assert abs(m["nees_position_in_bounds"] - 0.95) < 4 * math.sqrt(0.95 * 0.05 / n)
    assert abs(m["nees_velocity_mean"] - 2.0 / 16) < 4 * (2 / 16) / math.sqrt(n)
    inside = math.exp(-lo * 16 / 2) - math.exp(-hi * 16 / 2)  # P(lo ≤ χ²(2) / 16 ≤ hi)
    assert abs(m["nees_velocity_in_bounds"] - inside) < 4 * math.sqrt(inside * (1 - inside) / n)
