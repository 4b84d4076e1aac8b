"""`whsim place --shortlist K`: the objective's K best layouts benchmarked on tuning seeds; the
objective's best is placed unless another tracks better beyond doubt. The objective counts the chance of
detecting each body; it cannot see a body that two views place apart and the tracker follows twice,
which a bench of the tracker can."""

from __future__ import annotations

import math
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.bench.stats import mean_ci
from sim.bench.summary import fmt_interval, seed_values
from sim.bench.sweep import run_sweep, seeds_for
from sim.coverage.seed_text import seed_range


@dataclass(frozen=True)
class Trial:
    """One option's objective and its tracking over the shortlist's seeds: means, and the per-seed MOTA
    difference from the objective's best option paired by seed, with its 95 % interval (NaN: no runs)."""

    name: str
    objective: float
    mota: float
    idf1: float
    false_positives: float
    mota_gain: float
    mota_gain_low: float
    mota_gain_high: float


def shortlist_dir(out: Path) -> Path:
    """Where `--shortlist` writes the options and their bench: beside the placed file, `<stem>_shortlist/`."""
    return out.with_name(out.stem + "_shortlist")


def _mean(values: dict[int, float]) -> float:
    return mean_ci(list(values.values()))[0]


def trials(rows: list[dict], names: list[str], objectives: list[float], strategy: str) -> list[Trial]:
    """Each option's means over the seeds its runs finished, and its MOTA against the first option's."""
    first = seed_values(rows, names[0], strategy, "mota")
    out = []
    for n, v in zip(names, objectives, strict=True):
        mota = seed_values(rows, n, strategy, "mota")
        gain = mean_ci([mota[s] - first[s] for s in sorted(set(mota) & set(first))])
        out.append(
            Trial(
                n,
                v,
                _mean(mota),
                _mean(seed_values(rows, n, strategy, "idf1")),
                _mean(seed_values(rows, n, strategy, "false_positives")),
                *gain,
            )
        )
    return out


def best(found: list[Trial]) -> int:
    """The objective's best option (the first) unless another tracks better beyond doubt: the one whose
    MOTA gain over the first, paired by seed, is largest among those whose 95 % interval lies above 0.
    Layouts close on the objective usually track alike within a few seeds' noise; the bench is there to
    catch the one that does not (a view that splits bodies into duplicate tracks), not to pick noise."""
    sure = [i for i, t in enumerate(found) if i and t.mota_gain_low > 0]
    return max(sure, key=lambda i: (found[i].mota_gain, -i)) if sure else 0


def table(found: list[Trial], chosen: int) -> list[str]:
    lines = [f"{'option':<28}{'objective':>10}{'MOTA':>8}{'IDF1':>8}{'FP/run':>8}   MOTA − option 1 (paired)"]
    for i, t in enumerate(found):
        gain = fmt_interval(t.mota_gain, t.mota_gain_low, t.mota_gain_high, signed=True) if i else ""
        mark = "  <- placed" if i == chosen else ""
        lines.append(
            f"{t.name:<28}{t.objective:>10.4f}{t.mota:>8.3f}{t.idf1:>8.3f}{t.false_positives:>8.0f}   "
            f"{gain}{mark}"
        )
    return lines


def run_shortlist(
    args, strategy: str, n_options: int, write_option: Callable[[int, Path, str], None]
) -> tuple[list[dict], list[str], Path]:
    """Write each option (`write_option(i, path, name)`) and bench them with `strategy` over the
    shortlist's seeds (from the first traffic seed: tuning seeds); the bench's rows, the options' names
    and the folder."""
    out = shortlist_dir(args.out)
    if out.exists():
        shutil.rmtree(out)  # checked before placing: ours, and --overwrite was given
    out.mkdir()
    files = []
    for i in range(n_options):
        name = f"{args.out.stem}_option{i + 1}"
        write_option(i, out / f"{name}.yaml", name)
        files.append((str(out / f"{name}.yaml"), name))
    result = run_sweep(
        files,
        [strategy],
        args.shortlist_seeds,
        out / "bench",
        workers=args.workers,
        progress=not args.quiet and sys.stderr.isatty(),
        first_seed=args.first_traffic_seed,
    )
    return result.rows, [n for _, n in files], out


def choose(args, placed, write) -> tuple[object, dict, list[str]]:
    """Bench the search's options (`placed`, a `placement.Placed`; `write(layout, path, name)` writes one)
    and keep the objective's best unless another tracks better beyond doubt (`best`): that layout, the
    report's entry and the lines that show the choice."""
    strategy = args.strategy
    rows, names, out = run_shortlist(
        args, strategy, len(placed.options), lambda i, path, name: write(placed.with_option(i), path, name)
    )
    found = trials(rows, names, [o.value for o in placed.options], strategy)
    chosen = best(found)  # the objective's best where the bench has no clear winner (or no runs)
    seeds = seeds_for(args.shortlist_seeds, args.first_traffic_seed)
    entry = {
        "strategy": strategy,
        "seeds": seeds,
        "bench": str(out / "bench"),
        "chosen": chosen,
        "options": [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in vars(t).items()}
            for t in found
        ],
    }
    head = f"shortlist: '{strategy}' over seeds {seed_range(seeds)} (bench in {out / 'bench'})"
    return placed.with_option(chosen), entry, [head, *table(found, chosen)]


def shortlist_note(entry: dict) -> str:
    """The placed file's comment line saying which shortlisted option it is and why."""
    i, opts = entry["chosen"], entry["options"]
    mota = [f"{o['mota']:.3f}" if o["mota"] is not None else "—" for o in opts]
    why = "no other tracks better beyond doubt" if i == 0 else "tracks better than option 1 beyond doubt"
    return (
        f"# Shortlist: option {i + 1} of {len(opts)} (by the objective): {why}; mean "
        f"'{entry['strategy']}' MOTA over seeds {seed_range(entry['seeds'])}: {', '.join(mota)}\n"
    )
