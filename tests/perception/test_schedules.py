"""The one-cycle schedule the trainers share."""

from __future__ import annotations

import pytest
import torch

from perception.schedules import one_cycle


@pytest.mark.parametrize("total", [1, 2, 3, 10, 20, 1000])
def test_one_cycle_runs_every_step_and_peaks_at_the_given_rate(total):
    """10 steps × 10 % warm-up is a one-step warm-up, which torch's OneCycleLR divides by zero on."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([p], lr=1e-3)
    sched = one_cycle(opt, 1e-3, total)
    rates = []
    for k in range(total):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        if k < total - 1:
            sched.step()
    assert max(rates) == pytest.approx(1e-3, rel=1e-6)
    if total >= 4:
        assert rates[0] < 1e-3 and rates[-1] < 1e-4
