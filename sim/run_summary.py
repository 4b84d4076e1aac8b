"""The summary `whsim run` prints when a run ends: what ran, its scores, where its files are."""

from __future__ import annotations

from pathlib import Path

from perception.classes import CLASS_NAMES, TRACKED
from sim.timing import times_real_time

TRACKED_NAMES = tuple(CLASS_NAMES[c] for c in TRACKED)


# The prediction casts every sensor to every floor cell: ≈ 1 s for `default`'s 1 000 m², minutes for a
# 60 000 m² site with 64 sensors, which the end of a run should not cost.
PREDICT_MAX_FLOOR_M2 = 10_000.0


def predicted_coverage(scenario) -> tuple[float | None, float | None]:
    """What the layout predicts for this run's own traffic (`whsim coverage`): the share of actor-frames
    on a cell some positioning sensor covers, and the share expected to be detected."""
    from sim.coverage.site_coverage import POSITION_KINDS, site_coverage

    _, cov = site_coverage(scenario, [scenario.seed])
    return cov.shares(1, POSITION_KINDS)["traffic"]["all"], cov.expected_detected()


def _prediction(scenario, fmt) -> str:
    L, W = scenario.layout.size_m
    if L * W > PREDICT_MAX_FLOOR_M2:
        limit = f"{PREDICT_MAX_FLOOR_M2:,.0f} m²"
        return f"not worked out for floors over {limit} (minutes); 'whsim coverage' gives it"
    covered, expected = predicted_coverage(scenario)
    return (
        f"{fmt(covered)} of truth frames on cells a positioning sensor covers, {fmt(expected)} expected "
        "detected (whsim coverage)"
    )


def run_files(out: Path) -> list[str]:
    """Every file the run directory holds, relative to it (a `sensors/` tree as one entry per sensor)."""
    out = Path(out)
    files = sorted(p.relative_to(out).as_posix() for p in out.iterdir() if p.is_file())
    plots = out / "plots"
    files += sorted(f"plots/{p.name}" for p in plots.iterdir() if p.is_file()) if plots.is_dir() else []
    sensors = out / "sensors"
    files += sorted(f"sensors/{p.name}/" for p in sensors.iterdir() if p.is_dir()) if sensors.is_dir() else []
    return files


def print_run_summary(scenario, m: dict, out: Path) -> None:
    """What a run did and scored, and every file it wrote."""
    print(
        f"{scenario.name} (seed {scenario.seed}): {m['steps']} ticks, {m['sim_time_s']:g} s simulated in "
        f"{m['wall_time_s']:.2f} s ({times_real_time(m['realtime_factor'])} real time)"
    )
    print(
        f"  actors {m['world']['actors']}, replans {m['world']['replans']}, "
        f"gridlock overlaps {m['world']['overlap_events']}, strategy {m['strategy']}"
    )
    if m.get("sensors"):
        n = sum(v["readings"] for v in m["sensors"].values())
        faulty = {
            k: sum(v.get(k, 0) for v in m["sensors"].values())
            for k in ("dropped", "delayed", "miscalibrated")
        }
        print(
            f"  sensors {len(m['sensors'])}: {n} readings; by faults {faulty['dropped']} dropped, "
            f"{faulty['delayed']} delayed, {faulty['miscalibrated']} with a wrong pose"
        )
    if m.get("tracking"):
        tr = m["tracking"]

        def fmt(v, spec=".3f"):
            return "—" if v is None else format(v, spec)

        print("  tracking   MOTA    MOTP(m)  IDF1    HOTA    GOSPA(m)  RMSE(m)  IDSW  FP     FN")
        print(
            f"  {'all':<9}  {fmt(tr['mota'])}  {fmt(tr['motp_m']):<7}  {fmt(tr['idf1'])}   "
            f"{fmt(tr['hota'])}   {fmt(tr['gospa'], '.2f'):<8}  {fmt(tr['rmse_m']):<7}  "
            f"{tr['id_switches']:<4}  {tr['false_positives']:<5}  {tr['misses']}"
        )
        for c, v in tr["per_class"].items():
            print(
                f"  {c:<9}  {fmt(v['mota'])}  {fmt(v['motp_m']):<7}  {'':5}   {'':5}   {'':8}  {'':7}  "
                f"{v['id_switches']:<4}  {v['false_positives']:<5}  {v['misses']}"
            )
        if tr.get("coverage_ceiling") is not None:
            print(
                f"  coverage ceiling {fmt(tr['coverage_ceiling'])} (truth frames with a detection within "
                f"{m['evaluation']['gate_m']:g} m), MOTA / ceiling {fmt(tr['mota_over_ceiling'])}, "
                f"identity accuracy {fmt(tr.get('identity_accuracy'))}, class accuracy "
                f"{fmt(tr.get('class_accuracy'))}"
            )
            print("  predicted by the layout: " + _prediction(scenario, fmt))
    files = run_files(out)
    print(f"  run directory: {out}/")
    for group in ([f for f in files if "/" not in f], [f for f in files if "/" in f]):
        if group:
            print("    " + ", ".join(group))
    if m.get("bev"):
        b = m["bev"]
        gc, thr = (("—" if v is None else f"{v:.3f}") for v in (b["iou_graphcut"], b["iou_threshold"]))
        print(f"  BEV map IoU: graph cut {gc}, threshold {thr}")
    if m.get("segmentation"):
        s = m["segmentation"]
        bodies = ", ".join(
            f"{c} {s['per_class_iou'][c]:.2f}" for c in TRACKED_NAMES if c in s["per_class_iou"]
        )
        print(f"  point segmentation mIoU {s['miou']:.3f} over {s['points']:,} points ({bodies})")
