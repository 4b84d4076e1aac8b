"""IMM of constant velocity and near-stationary: it recognises stops and tracks them better than CV alone."""

from __future__ import annotations

import numpy as np

from fusion.imm import ImmState, imm_predict, imm_update
from fusion.kalman import predict, update


def _stop_and_go(steps=300, dt=0.1):
    """2 m/s along x for 5 s, stopped 5 s, and so on."""
    v = np.where((np.arange(steps) * dt // 5) % 2 == 0, 2.0, 0.0)
    x = np.cumsum(v) * dt
    return np.column_stack([x, np.zeros(steps)]), v


def test_imm_recognises_stops_and_beats_cv_while_stopped():
    rng = np.random.default_rng(0)
    truth, v = _stop_and_go()
    R = np.eye(2) * 0.2**2
    runs = 20
    z = truth[None] + rng.normal(0, 0.2, (runs, len(truth), 2))
    x0 = np.column_stack([z[:, 0], np.zeros((runs, 2))])
    P0 = np.tile(np.diag([0.04, 0.04, 4.0, 4.0]), (runs, 1, 1))
    imm, (xc, Pc) = ImmState.start(x0, P0), (x0, P0)
    err_imm, err_cv, mu_stop = [], [], []
    for k in range(1, len(truth)):
        imm = imm_predict(imm, 0.1, 1.0)
        imm, _ = imm_update(imm, z[:, k], R)
        xc, Pc = predict(xc, Pc, 0.1, 1.0)
        xc, Pc, _ = update(xc, Pc, z[:, k], R)
        xi, Pi = imm.combined()
        assert np.allclose(Pi, Pi.transpose(0, 2, 1)) and (np.linalg.eigvalsh(Pi) > 0).all()
        err_imm.append(np.linalg.norm(xi[:, :2] - truth[k], axis=1))
        err_cv.append(np.linalg.norm(xc[:, :2] - truth[k], axis=1))
        mu_stop.append(imm.mu[:, 1].mean())
    err_imm, err_cv, mu_stop = np.array(err_imm), np.array(err_cv), np.array(mu_stop)
    t = np.arange(1, len(truth)) * 0.1
    settled_stop = (v[1:] == 0) & ((t % 5) > 1.5)
    settled_move = (v[1:] > 0) & ((t % 5) > 1.5)
    assert mu_stop[settled_stop].mean() > 0.7 and mu_stop[settled_move].mean() < 0.2
    rmse = lambda e, m: np.sqrt((e[m] ** 2).mean())  # noqa: E731
    assert rmse(err_imm, settled_stop) < 0.8 * rmse(err_cv, settled_stop)
    assert rmse(err_imm, settled_move) < 1.15 * rmse(err_cv, settled_move)
