"""Learning-rate schedules and the optimiser step the trainers share."""

from __future__ import annotations

import torch


def one_cycle(opt: torch.optim.Optimizer, lr: float, total_steps: int, warmup: float = 0.1):
    """Smith's one-cycle schedule over `total_steps`, warming up for `warmup` of them — at least two steps
    (torch divides by the warm-up's length less one, so a warm-up of exactly one step fails)."""
    pct = min(0.5, max(warmup, 2.0 / max(total_steps, 1)))
    if total_steps < 4:
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    return torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=total_steps, pct_start=pct)


def optimise(opt: torch.optim.Optimizer, schedule, loss: torch.Tensor) -> float:
    """One optimiser step on `loss`, then one of its schedule; returns the loss as a float."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    schedule.step()
    return float(loss.detach())
