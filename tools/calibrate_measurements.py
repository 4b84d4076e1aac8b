"""Fit the detection measurement models: per (source, reported class), how far the detected point sits from
the body's centre along the sensor's line of sight (a body seen from one side is measured at its near
face) and the spread along and across that line, from simulated runs on tuning seeds.

    python tools/calibrate_measurements.py scenarios/default.yaml scenarios/busy.yaml --seeds 11-14 \
        [--write sim/pipeline/measurement_models.json]
    python tools/calibrate_measurements.py scenarios/default.yaml scenarios/busy.yaml --seeds 11-14 \
        --by-body --ml --by-reported [--write sim/pipeline/measurement_models.json]   # the body models

Detections are matched as the scorer matches them, to the body whose footprint is nearest where its centre
lies within `--match-m` (1 m: the gate within which the scorer calls a detection one of that body and
measures its consistency) at the tick they arrive,
misclassified ones included (the tracker meets them too; `--class-consistent` drops them); only sensors
without a latency fault are used (their detections describe the moment of their tick). The
front-ends' outputs come from `tools/tune_tracker.py`'s cache. Printed per group: detections matched, the
normalised squared error eᵀR⁻¹e against the front-end's own covariance (2 when consistent) and after the
fitted model, the bias along the line of sight (positive: the true centre lies beyond the detection),
the spreads, and how strongly one detection's error carries over to the next of the same body by the
same sensor (`lag1_corr_*`, against the reported covariance).

A source whose sensor has no position (the 3D-CNN's boxes, placed from every sensor's evidence at once)
has no line of sight: asked for by `--source`, its models are isotropic (no bias; both axes' errors
pooled), and with `--score` each model's spread also follows the detection's score as a power law:

    python tools/calibrate_measurements.py scenarios/default.yaml scenarios/busy.yaml --seeds 11-14 \
        --strategy cnn3d-kf --source cnn3d --ml --score [--by-body --by-reported] [--write …]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tune_tracker

from fusion.metrics import GATE_M
from sim.world.kinds import CLASS_NAMES

MIN_MATCHES = 30  # fewer matched detections than this: no model for the group (too few to fit)


def _samples(path: str, seed: int, strategy: str, match_m: float, cache: Path, all_matches: bool, free=()):
    """(source, reported class, e_along, e_across, R_along, R_across, d²_reported, true class, sequence,
    step, score, isotropic) per matched detection; `sequence` names the (run, sensor, body) it belongs to.
    Sources in `free` are taken from sensors without a position too, along x and across on y
    (isotropic)."""
    import cloudpickle

    sc = tune_tracker._scenario(path, seed, strategy, None)
    late = {f.sensor for f in sc.faults if f.type == "latency"}
    where = {s.id: np.asarray(s.position[:2], float) for s in sc.sensors if hasattr(s, "position")}
    data = cloudpickle.loads(tune_tracker.record(path, seed, strategy, None, cache).read_bytes())
    out = []
    for i, (step, outs) in enumerate(data["steps"]):
        g = step.truth.xyz[:, :2]
        for _, sid, _, o in outs:
            pm = o.positions
            if pm is None or not len(pm) or sid in late or not len(g):
                continue
            iso = sid not in where
            if iso and pm.source not in free:
                continue
            j, centre = step.truth.nearest_body(pm.z)  # as the scorer pairs them
            ok = centre <= match_m
            true_cls = [CLASS_NAMES[int(c)] for c in step.truth.class_ids[j]]
            for k in np.flatnonzero(ok):
                if not all_matches and pm.cls[k] not in ("unknown", true_cls[k]):
                    continue  # misclassified: the model of its reported class is not about this body
                u = np.array([1.0, 0.0]) if iso else pm.z[k] - where[sid]
                u /= max(np.linalg.norm(u), 1e-9)
                n = np.array([-u[1], u[0]])
                e = g[j[k]] - pm.z[k]
                R = pm.R[k]
                out.append(
                    (
                        pm.source,
                        pm.cls[k],
                        e @ u,
                        e @ n,
                        u @ R @ u,
                        n @ R @ n,
                        e @ np.linalg.solve(R, e),
                        true_cls[k],
                        f"{path}|{seed}|{sid}|{step.truth.ids[j[k]]}",
                        i,
                        float(pm.score[k]),
                        iso,
                    )
                )
    return out


NSE_BAND = (1.5, 2.5)  # the band a source's mean normalised squared error must hold (2 when consistent)
BAND_CENTRE = float(np.sqrt(NSE_BAND[0] * NSE_BAND[1]))  # 1.94: as far, in ratio, from either edge


def scored_nse(
    path: str, seed: int, strategy: str, cache: Path, reported: dict, body: dict, duration=None
) -> dict:
    """Per (source, true class): [sum, count] of the detections' normalised squared errors read as their
    true body's class under the `reported` and `body` models (LineOfSightModel per 'source/…'), as the
    scorer reads them (`detection.<source>.nse_body`): each scan centred by `reported`, its detections
    paired with the body whose footprint is nearest where that body's centre is within the gate."""
    import cloudpickle

    from sim.pipeline.measurement_models import BODY_CLASSES, centred
    from sim.scoring import _nse

    sc = tune_tracker._scenario(path, seed, strategy, duration)
    late = {f.sensor for f in sc.faults if f.type == "latency"}
    where = {s.id: np.asarray(s.position[:2], float) for s in sc.sensors if hasattr(s, "position")}
    data = cloudpickle.loads(tune_tracker.record(path, seed, strategy, duration, cache).read_bytes())
    acc: dict = defaultdict(lambda: [0.0, 0])
    for step, outs in data["steps"]:
        truth = step.truth
        for _, sid, _, o in outs:
            pm = o.positions
            if pm is None or not len(pm) or sid in late or sid not in where or not len(truth):
                continue
            c = centred(pm, where[sid], reported, body)
            if c.by_class is None:
                continue
            j, centre = truth.nearest_body(c.z)
            rows = np.flatnonzero(centre <= GATE_M)
            names = [CLASS_NAMES[int(k)] for k in truth.class_ids[j[rows]]]
            keep = [(k, BODY_CLASSES.index(n)) for k, n in zip(rows, names, strict=True) if n in BODY_CLASSES]
            if not keep:
                continue
            k, b = np.array(keep).T
            nse = _nse(truth.xyz[j[k], :2] - c.by_class.z[k, b], c.by_class.R[k, b])
            for cls, x in zip((BODY_CLASSES[i] for i in b), nse, strict=True):
                a = acc[(pm.source, cls)]
                a[0] += float(x)
                a[1] += 1
    return acc


def validation_scales(per_run: dict) -> dict:
    """(source, class) → the factor s its body models' variances are multiplied by, from {(scenario,
    source, class): [each validation run's mean NSE]}: each scenario's cell is the mean over its runs
    (as `whsim bench` averages seeds), and s puts the highest and lowest scenario cells as far, in
    ratio, from either edge of the band (their geometric mean at `BAND_CENTRE`). One model serves
    scenarios whose bodies drive routes the sensor sees differently; fitted by likelihood it sits where
    the route with the most detections puts it, and a fit on few runs of slowly changing errors is too
    sure of itself on runs it did not see."""
    cells: dict = defaultdict(list)
    for (_, source, cls), runs in sorted(per_run.items()):
        if runs:
            cells[source, cls].append(float(np.mean(runs)))
    return {k: float(np.sqrt(max(v) * min(v))) / BAND_CENTRE for k, v in cells.items()}


def scaled(models: dict, scales: dict) -> dict:
    """The fitted entries with each (source, body class)'s variances (the power law's scale and the added
    variances) multiplied by its factor, which is recorded as `validation_scale`."""
    out = {}
    for key, m in models.items():
        parts = key.split("/")
        s = scales.get((parts[0], parts[1]))
        if s is None:
            out[key] = m
            continue
        out[key] = {
            **m,
            **{
                f: round(m[f] * s, 6 if f.startswith("add_var") else 4)
                for f in ("scale_along", "scale_across", "add_var_along_m2", "add_var_across_m2")
            },
            "validation_scale": round(s, 3),
        }
    return out


def added_variance(e: np.ndarray, r: np.ndarray) -> float:
    """The variance q ≥ 0 to add to the reported variances r so that mean(e² / (r + q)) = 1 (bisection;
    the mean falls as q grows). 0 when the reported variances already cover the errors."""
    if np.mean(e * e / r) <= 1:
        return 0.0
    lo, hi = 0.0, float(np.mean(e * e)) * 4 + 1e-6
    for _ in range(60):
        q = (lo + hi) / 2
        lo, hi = (q, hi) if np.mean(e * e / (r + q)) > 1 else (lo, q)
    return hi


def lag_correlation(a: np.ndarray, sequence: list[str], step: np.ndarray, bias: float) -> tuple[float, float]:
    """Correlation of the normalised errors (along, across) of consecutive detections of one body by one
    sensor (at most 3 steps apart): near 0 when errors are independent from scan to scan, as a Kalman
    filter assumes; near 1 when they are a slowly changing offset (the same face seen, the same occlusion)."""
    w = np.column_stack([(a[:, 0] - bias) / np.sqrt(a[:, 2]), a[:, 1] / np.sqrt(a[:, 3])])
    order = np.lexsort((step, np.asarray(sequence)))
    seq, st, w = np.asarray(sequence)[order], step[order], w[order]
    pair = (seq[1:] == seq[:-1]) & (np.diff(st) > 0) & (np.diff(st) <= 3)
    if pair.sum() < MIN_MATCHES:
        return float("nan"), float("nan")
    first, then = w[:-1][pair], w[1:][pair]
    return tuple(float(np.corrcoef(first[:, c], then[:, c])[0, 1]) for c in (0, 1))


CHI2_1_MEDIAN = 0.454936  # median of χ²(1): a consistent axis' e²/σ² is below this half of the time


MAX_POWER = 4.0  # the power law's exponent is fitted within (0, 4)
MAX_SCORE_POWER = 8.0  # and the score's within (0, 8)


def power_law(e: np.ndarray, r: np.ndarray) -> tuple[float, float, float, float]:
    """(scale, power, ref, q): the maximum-likelihood variance q + scale · ref · (r / ref)^power of zero-mean
    Gaussian errors e whose front-end reported variances r (ref: their median), then scaled so that
    mean(e² / variance) is exactly 1. A power above 1: the errors grow faster than the reported spread
    (a LiDAR cluster wide for its class is usually a merge); below 1: slower."""
    return score_power_law(e, r)[:4]


def score_power_law(
    e: np.ndarray,
    r: np.ndarray,
    score: np.ndarray | None = None,
    across: np.ndarray | None = None,
    signed: bool = False,
) -> tuple[float, float, float, float, float, float, float]:
    """(scale, power, ref, q, score_power, ref_score, across_power): `power_law` with, given each detection's
    `score`, the power-law term also multiplied by (score / ref_score)^−score_power (ref_score: the scores'
    median) — a detection its front-end is less sure of placed worse; given `across` (the reported
    variances across the line of sight, for the along axis), also by (across / its median)^across_power.
    `signed`: the powers may be negative too (within ±4): errors that shrink as the reported spread grows
    (a LiDAR cluster narrow across is a piece of the body, a wide one its whole side). Without scores:
    score_power 0, ref_score 1; without `across`: across_power 0."""
    from scipy.optimize import minimize

    ref = float(np.median(r))
    x = r / ref
    ref_s = float(np.median(score)) if score is not None else 1.0
    log_s = np.log(np.clip(score, 1e-3, 1.0) / ref_s) if score is not None else np.zeros_like(x)
    log_c = np.log(across / float(np.median(across))) if across is not None else np.zeros_like(x)
    lo = -MAX_POWER if signed else 0.0

    def power(p):  # the power in (lo, MAX_POWER) from an unbounded parameter
        return lo + (MAX_POWER - lo) / (1 + np.exp(-p))

    def unpower(g):  # the parameter that gives power g
        return float(np.log((g - lo) / (MAX_POWER - g)))

    def variance(p):
        # p: log scale, log q, power, then the score's and the across variance's powers where given;
        # clipped where the search strays
        p = np.clip(p, -60.0, 60.0)
        h = MAX_SCORE_POWER / (1 + np.exp(-p[3])) if score is not None else 0.0
        c = power(p[-1]) if across is not None else 0.0
        return np.exp(p[0]) * ref * x ** power(p[2]) * np.exp(-h * log_s + c * log_c) + np.exp(p[1])

    def nll(p):
        v = variance(p)
        return 0.5 * float(np.sum(np.log(v) + e * e / v))

    starts = [
        (np.log(k), np.log(q * ref), g, *((h,) if score is not None else ()), *c)
        for k in (0.3, 1.0)
        for q in (0.01, 1.0)
        for g in ((unpower(-2.0), unpower(0.5), unpower(2.0)) if signed else (-1.1, 0.0, 1.5))
        for h in ((-2.0, 0.0) if score is not None else (0.0,))
        for c in (((unpower(-1.0),), (unpower(0.5),)) if across is not None else ((),))
    ]
    best = min(
        (minimize(nll, s, method="Nelder-Mead", options={"maxiter": 4000}) for s in starts),
        key=lambda o: o.fun,
    )
    k = float(np.mean(e * e / variance(best.x)))
    p = np.clip(best.x, -60.0, 60.0)
    h = float(MAX_SCORE_POWER / (1 + np.exp(-p[3]))) if score is not None else 0.0
    c = float(power(p[-1])) if across is not None else 0.0
    return (float(np.exp(p[0]) * k), float(power(p[2])), ref, float(np.exp(p[1]) * k), h, ref_s, c)


def fit(
    rows,
    scale: bool = False,
    robust: bool = False,
    by_body: bool = False,
    shrink: bool = False,
    ml: bool = False,
    by_reported: bool = False,
    score: bool = False,
    across: bool = False,
) -> dict:
    """Per (source, class): bias along the line of sight (median) and the variances to add along and
    across it so that each axis' normalised squared error averages 1 (2 for the pair); with `shrink`, an
    axis the reported spread over-covers is scaled down to the same mean instead of left as it is; with
    `ml`, each axis' variance is the maximum-likelihood power law of the reported one (`power_law`). The
    class is the reported one, or with `by_body` the matched body's: what a detection of that body looks
    like; `by_reported` adds groups per body and reported class ('source/body/reported'). Groups from a
    sensor without a position are isotropic: no bias, one maximum-likelihood law for both axes' errors
    pooled; with `score` the law has the detection's score as a second covariate (`score_power_law`); with
    `across` (line-of-sight groups) the powers may be negative and the along law has the reported across
    variance as a second covariate."""
    groups = defaultdict(list)
    for r in rows:
        groups[(r[0], r[7] if by_body else r[1])].append(r)
        if by_body and by_reported:
            groups[(r[0], r[7], r[1])].append(r)
    models = {}
    for key, v in sorted(groups.items()):
        if len(v) < MIN_MATCHES:
            continue
        a = np.array([r[2:7] for r in v], float)
        iso = all(r[11] for r in v)
        bias = 0.0 if iso else float(np.median(a[:, 0]))
        sc = np.array([r[10] for r in v], float) if score and iso else None
        h = ref_s = None
        rho = lag_correlation(a, [r[8] for r in v], np.array([r[9] for r in v]), bias)
        if robust:  # median-matched scales: the bulk of the errors, not the mismatched tail, sets the spread
            k_along = float(np.median((a[:, 0] - bias) ** 2 / a[:, 2])) / CHI2_1_MEDIAN
            k_across = float(np.median(a[:, 1] ** 2 / a[:, 3])) / CHI2_1_MEDIAN
            q_along = q_across = 0.0
        elif scale:
            k_along = float(np.mean((a[:, 0] - bias) ** 2 / a[:, 2]))
            k_across = float(np.mean(a[:, 1] ** 2 / a[:, 3]))
            q_along = q_across = 0.0
        elif ml and iso:  # no line of sight: both axes' errors, one law
            both = None if sc is None else np.concatenate([sc, sc])
            fitted = score_power_law(
                np.concatenate([a[:, 0], a[:, 1]]), np.concatenate([a[:, 2], a[:, 3]]), both
            )
            k_along, g_along, ref_along, q_along, h, ref_s = fitted[:6]
            if round(k_along, 4) == 0:  # written rounded: a constant variance must not round to 0
                q_along = max(q_along, 1e-6)
            k_across, g_across, ref_across, q_across = k_along, g_along, ref_along, q_along
        elif ml:
            laws = (
                (
                    score_power_law(a[:, 0] - bias, a[:, 2], across=a[:, 3], signed=True),
                    score_power_law(a[:, 1], a[:, 3], signed=True),
                )
                if across
                else (score_power_law(a[:, 0] - bias, a[:, 2]), score_power_law(a[:, 1], a[:, 3]))
            )
            k_along, g_along, ref_along, q_along = laws[0][:4]
            k_across, g_across, ref_across, q_across = laws[1][:4]
            c_along = laws[0][6]
            if round(k_along, 4) == 0:  # written rounded: a constant variance must not round to 0
                q_along = max(q_along, 1e-6)
            if round(k_across, 4) == 0:
                q_across = max(q_across, 1e-6)
        else:
            k_along = k_across = 1.0
            q_along = added_variance(a[:, 0] - bias, a[:, 2])
            q_across = added_variance(a[:, 1], a[:, 3])
            if shrink:  # an over-covering axis: scale its spread so the mean is 1 (q is then 0)
                k_along = min(1.0, float(np.mean((a[:, 0] - bias) ** 2 / a[:, 2])))
                k_across = min(1.0, float(np.mean(a[:, 1] ** 2 / a[:, 3])))
        models["/".join(key)] = {
            "matched": len(a),
            "bias_along_m": round(bias, 3),
            "add_var_along_m2": round(q_along, 6 if ml else 4),
            "add_var_across_m2": round(q_across, 6 if ml else 4),
            "scale_along": round(k_along, 4 if ml else 3),
            "scale_across": round(k_across, 4 if ml else 3),
            **(
                {
                    "power_along": round(g_along, 3),
                    "power_across": round(g_across, 3),
                    "ref_var_along_m2": round(ref_along, 6),
                    "ref_var_across_m2": round(ref_across, 6),
                }
                if ml
                else {}
            ),
            **({"score_power": round(h, 3), "ref_score": round(ref_s, 4)} if h is not None else {}),
            **({"across_power": round(c_along, 3)} if across and ml and not iso else {}),
            "nse_reported": round(float(np.mean(a[:, 4])), 2),
            "lag1_corr_along": round(rho[0], 2),
            "lag1_corr_across": round(rho[1], 2),
        }
    return models


def _validated(candidates: dict[str, dict], a, seeds: list[int]) -> dict:
    """Body models from the `candidates` (name → models as fitted), per (source, class) the candidate whose
    scenarios' cells on the validation `seeds` lie closest together (`steadiest`), scaled there
    (`validation_scales`); each scenario's cells printed per candidate, and the chosen one scaled."""
    from sim.pipeline.measurement_models import as_models, fitted_models

    reported = fitted_models("models")
    per_run: dict = {name: defaultdict(list) for name in candidates}
    for name, models in candidates.items():
        body = as_models(models)
        for path in a.scenarios:
            for seed in seeds:
                acc = scored_nse(path, seed, a.strategy, Path(a.cache), reported, body)
                for (source, cls), (total, n) in acc.items():
                    if not a.sources or source in a.sources:
                        per_run[name][Path(path).stem, source, cls].append(total / n)
    chosen = steadiest(per_run)
    first = next(iter(candidates))  # every candidate has the same groups: fitted on the same rows
    runs = {k: per_run[chosen[k[1], k[2]]][k] for k in per_run[first]}
    scales = validation_scales(runs)
    print(
        f"validation seeds {a.validate_seeds}: mean NSE per scenario, "
        + ", ".join(candidates)
        + " → chosen, scaled"
    )
    for key in sorted(runs):
        s = scales[key[1], key[2]]
        cells = " ".join(f"{np.mean(per_run[n][key]):5.2f}" for n in candidates)
        after = np.mean(runs[key]) / s
        print(
            f"  {key[0]:16s} {key[1]}/{key[2]:9s} {cells} → {chosen[key[1], key[2]]} {after:5.2f} (×{s:.3f})"
        )
    models = {
        key: candidates[chosen.get((key.split("/")[0], key.split("/")[1]), first)][key]
        for key in candidates[first]
    }
    return scaled(models, scales)


def steadiest(per_run: dict[str, dict]) -> dict:
    """(source, class) → the candidate (name) whose scenario cells (each the mean of its validation runs)
    have the smallest ratio of highest to lowest: one model must serve every scenario, and a common
    scale (`validation_scales`) can centre any cells but cannot bring them closer together. Ties: the
    first candidate."""
    best: dict = {}
    for name, runs in per_run.items():
        cells: dict = defaultdict(list)
        for (_, source, cls), r in runs.items():
            if r:
                cells[source, cls].append(float(np.mean(r)))
        for k, v in cells.items():
            spread = max(v) / min(v)
            if k not in best or spread < best[k][1]:
                best[k] = (name, spread)
    return {k: name for k, (name, _) in best.items()}


def write_models(target: Path, models: dict, command: str, by_body: bool, sources=()) -> None:
    """Write fitted models into the models file: `body_models` with `by_body`, else `models` (each kind
    keeps the other, fitted by its own command). With `sources`, only those sources' groups are replaced
    and the rest kept; the command is recorded for them beside the commands of the others ("CMD; the
    pointnet/* models: CMD2")."""
    doc = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    key, said = ("body_models", "body_fitted_with") if by_body else ("models", "fitted_with")
    if sources:
        kept = {k: v for k, v in doc.get(key, {}).items() if k.split("/")[0] not in sources}
        models = {**kept, **models}
        tag = "/*, ".join(sources) + "/*"
        parts = [p for p in doc.get(said, "").split("; the ") if p and not p.startswith(f"{tag} models: ")]
        command = "; the ".join([*parts, f"{tag} models: {command}"]) if parts else command
    doc.setdefault("models", {})
    doc.update({said: command, key: models})
    target.write_text(json.dumps(doc, indent=1) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenarios", nargs="+")
    p.add_argument("--seeds", default="11-14")
    p.add_argument("--strategy", default="central")
    p.add_argument("--match-m", type=float, default=GATE_M)
    p.add_argument("--cache", default=str(tune_tracker.ROOT / ".cache" / "tune"))
    p.add_argument(
        "--scale",
        action="store_true",
        help="fit scale factors of the reported spread instead of added variances (tracked worse)",
    )
    p.add_argument(
        "--robust",
        action="store_true",
        help="fit scale factors so that the median normalised error is χ²'s: may shrink the reported spread "
        "(tracked worse: seeds 11–15, MOTA −0.02 to −0.035, IDF1 −0.02 to −0.05)",
    )
    p.add_argument(
        "--class-consistent",
        action="store_true",
        help="fit only on detections whose reported class is the matched body's (tracked worse)",
    )
    p.add_argument(
        "--by-body",
        action="store_true",
        help="group by the matched body's class, not the reported one, and write `body_models` (how a "
        "tracker reads a detection against a track of that class) into the --write file, "
        "keeping its `models`",
    )
    p.add_argument(
        "--shrink",
        action="store_true",
        help="where the reported spread over-covers an axis (mean normalised error below 1), scale it "
        "down to a mean of 1 instead of keeping it: the shipped body models (--by-body --match-m 1.5), "
        "tracked with each sensor's bias in the state (pipeline.filter imm-bias); with the plain IMM they "
        "track worse (seeds 11–15, MOTA −0.004 to −0.024, IDF1 −0.025 to −0.048)",
    )
    p.add_argument(
        "--ml",
        action="store_true",
        help="fit each axis' variance as the maximum-likelihood power law of the reported one, plus a "
        "constant (then scaled to a mean normalised error of 1): the shipped body models",
    )
    p.add_argument(
        "--by-reported",
        action="store_true",
        help="with --by-body, also fit per body and reported class ('source/body/reported'): a worker "
        "reported as a forklift (merged with one) is read with that group's wider model",
    )
    p.add_argument(
        "--source",
        dest="sources",
        action="append",
        default=[],
        metavar="SOURCE",
        help="fit only this source's detections (repeatable); --write then replaces only its groups and "
        "keeps every other source's (how the `pointnet` strategy's models sit beside `central`'s)",
    )
    p.add_argument(
        "--score",
        action="store_true",
        help="with --ml, for a source without a position (--source cnn3d): the spread also a power of the "
        "detection's score (the 3D-CNN places a box it is less sure of worse)",
    )
    p.add_argument(
        "--across",
        action="store_true",
        help="with --ml and --validate-seeds: a second law is fitted, whose powers may be negative and whose "
        "along variance also follows the reported across one (a LiDAR cluster narrow across is a piece "
        "of its body: its centre is worse along and across); per (source, class) the law whose scenarios' "
        "errors lie closest together on the validation seeds is kept (the shipped body models)",
    )
    p.add_argument(
        "--validate-seeds",
        metavar="SEEDS",
        help="with --by-body: seeds not fitted on which each (source, class)'s body models are then scaled "
        "so that its scenarios' mean normalised errors, read as the scorer reads them, sit as far in ratio "
        "from either edge of [1.5, 2.5] (the shipped body models: 15-30)",
    )
    p.add_argument("--write", help="write the fitted models to this JSON file")
    a = p.parse_args(argv)
    seeds = tune_tracker._seeds(a.seeds)
    validate = tune_tracker._seeds(a.validate_seeds) if a.validate_seeds else []
    if min(seeds + validate) < 11:
        p.error("fit on seeds ≥ 11; seeds 1–10 are for reporting")
    if set(seeds) & set(validate):
        p.error("--validate-seeds must not overlap --seeds: the scale is for runs the fit did not see")
    if validate and not a.by_body:
        p.error("--validate-seeds scales the body models: give --by-body too")
    rows = []
    if a.by_reported and not a.by_body:
        p.error("--by-reported groups by the body as well: give --by-body too")
    for path in a.scenarios:
        for seed in seeds:
            rows += _samples(
                path, seed, a.strategy, a.match_m, Path(a.cache), not a.class_consistent, a.sources
            )
    if a.sources:
        rows = [r for r in rows if r[0] in a.sources]
    if a.score and not (a.ml and any(r[11] for r in rows)):
        p.error("--score fits, with --ml, a source without a position (e.g. --source cnn3d)")
    if a.across and not (a.ml and validate):
        p.error("--across is chosen per class on --validate-seeds: give --ml and --validate-seeds too")
    models = fit(rows, a.scale, a.robust, a.by_body, a.shrink, a.ml, a.by_reported, a.score)
    if validate:
        candidates = {"plain": models}
        if a.across:
            candidates["across"] = fit(
                rows, a.scale, a.robust, a.by_body, a.shrink, a.ml, a.by_reported, a.score, across=True
            )
        models = _validated(candidates, a, validate)
    print(
        f"{'group':22s} {'n':>6s} {'nse':>6s} {'bias':>6s} {'+var_al':>8s} {'+var_ac':>8s} "
        f"{'k_al':>6s} {'k_ac':>6s} {'g_al':>5s} {'g_ac':>5s} {'rho_al':>6s} {'rho_ac':>6s}"
    )
    for k, m in models.items():
        print(
            f"{k:22s} {m['matched']:6d} {m['nse_reported']:6.2f} {m['bias_along_m']:6.2f} "
            f"{m['add_var_along_m2']:8.4f} {m['add_var_across_m2']:8.4f} {m['scale_along']:6.2f} "
            f"{m['scale_across']:6.2f} {m.get('power_along', 1):5.2f} {m.get('power_across', 1):5.2f} "
            f"{m['lag1_corr_along']:6.2f} {m['lag1_corr_across']:6.2f}"
            + (f"  score^-{m['score_power']:.2f} at {m['ref_score']:.2f}" if "score_power" in m else "")
            + (f"  along x across^{m['across_power']:.2f}" if "across_power" in m else "")
        )
    if a.write:
        command = (
            "python tools/calibrate_measurements.py "
            + " ".join(a.scenarios)
            + f" --seeds {a.seeds} --match-m {a.match_m:g}"
            + (f" --strategy {a.strategy}" if a.strategy != "central" else "")
            + (" --scale" if a.scale else "")
            + (" --robust" if a.robust else "")
            + (" --class-consistent" if a.class_consistent else "")
            + (" --by-body" if a.by_body else "")
            + (" --shrink" if a.shrink else "")
            + (" --ml" if a.ml else "")
            + (" --by-reported" if a.by_reported else "")
            + (" --score" if a.score else "")
            + (" --across" if a.across else "")
            + "".join(f" --source {x}" for x in a.sources)
            + (f" --validate-seeds {a.validate_seeds}" if validate else "")
        )
        write_models(Path(a.write), models, command, a.by_body, a.sources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
