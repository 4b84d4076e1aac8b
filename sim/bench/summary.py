"""`summary.md`: per scenario, mean and 95 % confidence interval over seeds of each headline metric, the
best of each column marked, and each strategy compared with `central` on the same seeds (the paired
difference with its Student-t interval, and a Wilcoxon test). Pairing matters: two strategies meet the
same traffic on a seed, so their difference varies far less than either metric does."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim.bench.stats import mean_ci, smallest_wilcoxon_p, wilcoxon_p
from sim.output.atomic import atomic_write_text

# (column, heading, best: "max", "min", or the ideal value)
HEADLINE = (
    ("mota", "MOTA", "max"),
    ("idf1", "IDF1", "max"),
    ("hota", "HOTA", "max"),
    ("gospa", "GOSPA (m)", "min"),
    ("rmse_m", "RMSE (m)", "min"),
    ("nees_in_bounds", "NEES in bounds", 0.95),  # a consistent filter: 95 % inside its 95 % interval
    ("identity_accuracy", "identity acc.", "max"),
    ("coverage_ceiling", "coverage ceiling", "max"),
    ("mota_over_ceiling", "MOTA / ceiling", "max"),
    ("runtime_s", "runtime (s)", "min"),
)
PAIRED = (("mota", "MOTA"), ("idf1", "IDF1"), ("hota", "HOTA"), ("gospa", "GOSPA"))
BASELINE = "central"
IDEALISED = {"oracle"}


def seed_values(rows, scenario, strategy, column) -> dict[int, float]:
    """seed → value of `column` over the finished runs of one scenario and strategy (NaN where empty)."""
    out = {}
    for r in rows:
        if r["scenario"] == scenario and r["strategy"] == strategy and r["status"] == "ok":
            v = r[column]
            out[int(r["seed"])] = float(v) if v not in ("", None) else math.nan
    return out


def fmt_interval(m, lo, hi, digits: int = 3, signed: bool = False) -> str:
    """A mean and its interval: '0.624 [0.586, 0.663]' (`signed`, for differences: '+0.025 [+0.002,
    +0.047]'); the mean alone without bounds, '—' without it."""
    spec = f"{'+' if signed else ''}.{digits}f"
    if math.isnan(m):
        return "—"
    if math.isnan(lo):
        return f"{m:{spec}}"
    return f"{m:{spec}} [{lo:{spec}}, {hi:{spec}}]"


def summary_markdown(
    rows: list[dict],
    scenarios: list[str],
    strategies: list[str],
    seeds: list[int],
    duration_s: float | None = None,
) -> str:
    runs = f"{duration_s:g} s runs (`--duration`), " if duration_s is not None else ""
    lines = [
        "# whsim bench summary",
        "",
        runs
        + f"{len(seeds)} seeds per scenario ({_seed_range(seeds)}); each cell is the mean over seeds with "
        "its 95 % Student-t confidence interval. **Bold**: the best of the column (NEES in bounds: the "
        "nearest to 0.95; the idealised `oracle` is not ranked). Runtime is the strategy's own wall time "
        "(perception, tracking, scoring, files) on a shared recording.",
        "",
    ]
    for sc in scenarios:
        # The strategies run on this scenario (all of them in one sweep; not so in sweeps read together,
        # tools/bench_table.py --summary).
        ran = {r["strategy"] for r in rows if r["scenario"] == sc}
        here = [s for s in strategies if s in ran]
        lines += [f"## {sc}", ""]
        lines += _headline_table(rows, sc, here)
        if BASELINE in here and len(here) > 1:
            lines += _paired_table(rows, sc, here)
        lines += _bev_table(rows, sc, here)
        failures = [r for r in rows if r["scenario"] == sc and r["status"] == "error"]
        if failures:
            lines += ["", "Failed runs:", ""]
            lines += [f"- {r['strategy']}, seed {r['seed']}: {r['error']}" for r in failures]
        lines.append("")
    return "\n".join(lines)


def _best(stats_: dict, strategies: list[str]) -> dict[str, str]:
    """Column → the best real (not idealised) strategy by the column's goal."""
    best = {}
    for c, _, goal in HEADLINE:
        means = {
            s: stats_[s][c][0] for s in strategies if s not in IDEALISED and not math.isnan(stats_[s][c][0])
        }
        if means:
            if goal == "max":
                best[c] = max(means, key=means.get)
            elif goal == "min":
                best[c] = min(means, key=means.get)
            else:
                best[c] = min(means, key=lambda s, g=goal: abs(means[s] - g))
    return best


def _headline_table(rows, sc: str, strategies: list[str]) -> list[str]:
    lines = ["| strategy | runs | " + " | ".join(h for _, h, _ in HEADLINE) + " |"]
    lines.append("|" + "---|" * (len(HEADLINE) + 2))
    stats_ = {
        s: {c: mean_ci(list(seed_values(rows, sc, s, c).values())) for c, _, _ in HEADLINE}
        for s in strategies
    }
    best = _best(stats_, strategies)
    for s in strategies:
        n_ok = len(seed_values(rows, sc, s, "mota"))
        status = {r["status"] for r in rows if r["scenario"] == sc and r["strategy"] == s}
        if n_ok == 0:
            why = "unavailable" if status == {"unavailable"} else "failed"
            lines.append(f"| {s} | 0 ({why}) |" + " — |" * len(HEADLINE))
            continue
        cells = []
        for c, _, _ in HEADLINE:
            digits = 2 if c in ("gospa", "runtime_s") else 3
            text = fmt_interval(*stats_[s][c], digits)
            cells.append(f"**{text}**" if best.get(c) == s else text)
        name = f"{s} (idealised)" if s in IDEALISED else s
        lines.append(f"| {name} | {n_ok} | " + " | ".join(cells) + " |")
    return lines


def _paired_note(n_seeds: int) -> str:
    """What the p-values can say with this many seeds."""
    if n_seeds < 2:
        return " With one seed there is no test (p: —)."
    p = smallest_wilcoxon_p(n_seeds)
    if p >= 0.05:
        return (
            f" With {n_seeds} seeds the smallest p the test can give is {p:.3g} (every difference of one "
            "sign), so none can reach 0.05: run 6 or more seeds for that."
        )
    return ""


def _paired_table(rows, sc: str, strategies: list[str]) -> list[str]:
    n_seeds = len(seed_values(rows, sc, BASELINE, PAIRED[0][0]))
    lines = [
        "",
        f"Paired with `{BASELINE}` on the same seeds: mean difference (strategy − {BASELINE}) with its "
        "95 % Student-t interval, and the two-sided Wilcoxon signed-rank p-value." + _paired_note(n_seeds),
        "",
        "| strategy | " + " | ".join(f"Δ{h} | p" for _, h in PAIRED) + " |",
        "|" + "---|" * (2 * len(PAIRED) + 1),
    ]
    for s in strategies:
        if s == BASELINE:
            continue
        cells = []
        for c, _ in PAIRED:
            a, b = seed_values(rows, sc, s, c), seed_values(rows, sc, BASELINE, c)
            seeds = sorted(set(a) & set(b))
            if not seeds:
                cells += ["—", "—"]
                continue
            x, y = np.array([a[k] for k in seeds]), np.array([b[k] for k in seeds])
            p = wilcoxon_p(x, y)
            cells += [fmt_interval(*mean_ci(x - y), signed=True), "—" if math.isnan(p) else f"{p:.3g}"]
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return lines


def _bev_table(rows, sc: str, strategies: list[str]) -> list[str]:
    bev = [
        (
            s,
            mean_ci(list(seed_values(rows, sc, s, "bev_iou_graphcut").values())),
            mean_ci(list(seed_values(rows, sc, s, "bev_iou_threshold").values())),
        )
        for s in strategies
    ]
    bev = [b for b in bev if not math.isnan(b[1][0])]
    if not bev:
        return []
    lines = ["", "BEV map IoU against the rasterised truth (the same evidence segmented two ways):", ""]
    lines += ["| strategy | graph cut | threshold |", "|---|---|---|"]
    return lines + [f"| {s} | {fmt_interval(*g, 3)} | {fmt_interval(*t, 3)} |" for s, g, t in bev]


def write_summary(path: Path, rows, scenarios, strategies, seeds, duration_s=None) -> None:
    atomic_write_text(path, summary_markdown(rows, scenarios, strategies, seeds, duration_s))


def _seed_range(seeds: list[int]) -> str:
    return f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}–{seeds[-1]}"
