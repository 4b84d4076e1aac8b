"""whsim's tracker against a textbook one on the same detections (the idealised oracle's, default site):
its GOSPA must be no worse.

The reference is written here from its textbook description (Blackman & Popoli, *Design and Analysis of
Modern Tracking Systems*, 1999, ch. 6–7; Bar-Shalom, Li & Kirubarajan 2001, §6.2.2): one
constant-velocity Kalman filter per track (white-noise acceleration q = 1 m²/s³), χ² gate at 99 %, global
nearest neighbour on the Mahalanobis distance (Hungarian), an unassigned detection starts a tentative
track at rest, confirmation at 3 hits of the last 5 scans, deletion after 5 consecutive misses; tracks are
reported when confirmed. Plain per-track loops: a reference, not fast."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2

from fusion.metrics import gospa
from sim.loading import parse_scenario
from sim.pipeline.pipeline import make_pipeline
from sim.simulation import Simulation
from tests.conftest import DEFAULT_SCENARIO

GATE = chi2.ppf(0.99, 2)


class TextbookTrack:
    def __init__(self, z, R, tid):
        self.x = np.array([z[0], z[1], 0.0, 0.0])
        self.P = np.diag([R[0, 0], R[1, 1], 4.0, 4.0])
        self.P[:2, :2] = R
        self.id, self.hits, self.misses, self.confirmed = tid, [1], 0, False

    def predict(self, dt, q=1.0):
        F = np.eye(4)
        F[0, 2] = F[1, 3] = dt
        G = np.array([[dt**3 / 3, dt**2 / 2], [dt**2 / 2, dt]]) * q
        Q = np.zeros((4, 4))
        Q[np.ix_([0, 2], [0, 2])] = G
        Q[np.ix_([1, 3], [1, 3])] = G
        self.x, self.P = F @ self.x, F @ self.P @ F.T + Q


class TextbookTracker:
    def __init__(self):
        self.tracks, self.t, self.next_id = [], None, 1

    def scan(self, t, Z, Rs):
        if self.t is not None:
            for tr in self.tracks:
                tr.predict(t - self.t)
        self.t = t
        H = np.eye(2, 4)
        cost = np.full((len(self.tracks), len(Z)), 1e9)
        for i, tr in enumerate(self.tracks):
            for j, (z, R) in enumerate(zip(Z, Rs, strict=True)):
                S = H @ tr.P @ H.T + R
                nu = z - H @ tr.x
                d2 = nu @ np.linalg.solve(S, nu)
                cost[i, j] = d2 if d2 <= GATE else 1e9
        used = set()
        hit = set()
        if cost.size:
            for i, j in zip(*linear_sum_assignment(cost), strict=True):
                if cost[i, j] < 1e9:
                    tr, z, R = self.tracks[i], Z[j], Rs[j]
                    S = H @ tr.P @ H.T + R
                    K = tr.P @ H.T @ np.linalg.inv(S)
                    tr.x = tr.x + K @ (z - H @ tr.x)
                    tr.P = (np.eye(4) - K @ H) @ tr.P
                    used.add(j)
                    hit.add(i)
        for i, tr in enumerate(self.tracks):
            tr.hits = [*tr.hits, int(i in hit)][-5:]
            tr.misses = 0 if i in hit else tr.misses + 1
            tr.confirmed = tr.confirmed or sum(tr.hits) >= 3
        self.tracks = [
            tr
            for tr in self.tracks
            if (tr.confirmed and tr.misses < 5) or (not tr.confirmed and sum(tr.hits) + 5 - len(tr.hits) >= 3)
        ]
        for j in range(len(Z)):
            if j not in used:
                self.tracks.append(TextbookTrack(Z[j], Rs[j], self.next_id))
                self.next_id += 1

    def confirmed(self, t):
        out = []
        for tr in self.tracks:
            if tr.confirmed:
                dt = t - self.t
                out.append(tr.x[:2] + dt * tr.x[2:])
        return np.array(out).reshape(-1, 2)


def test_whsim_tracker_is_no_worse_than_the_textbook_one_on_oracle_detections():
    text = DEFAULT_SCENARIO.read_text()
    sc = parse_scenario(
        text,
        "default",
        sets=("duration_s=20", "sensors=[]", "faults=[]", "pipeline.strategy=oracle", "seed=13"),
    )
    sim = Simulation(sc)
    step, _ = sim.reset()
    pipe = make_pipeline("oracle", sc, np.random.default_rng(sim.pipeline_seed), sim.world.static)
    ref = TextbookTracker()
    ours, theirs = [], []
    done = False
    while not done:
        rows = pipe.process(step)
        if rows:
            ref.scan(rows[0].t, np.array([r.z for r in rows]), np.array([r.R for r in rows]))
        if step.tick % 2 == 0 and step.t >= 2.0:  # every 0.1 s, after both have had time to confirm
            truth = step.truth.xyz[:, :2]
            est = np.array([s.x[:2] for s in pipe.tracks(step.t) if s.status == "confirmed"]).reshape(-1, 2)
            ours.append(gospa(truth, est)["gospa"])
            theirs.append(gospa(truth, ref.confirmed(step.t))["gospa"])
        step, done, _ = sim.step()
    assert len(ours) > 150
    print(f"GOSPA whsim {np.mean(ours):.3f}, textbook {np.mean(theirs):.3f}")
    assert np.mean(ours) <= np.mean(theirs), (np.mean(ours), np.mean(theirs))
