"""The tracker's parts on their own: track table, M-of-N initiator, deleter, GNN associator, tag binder,
and replacing a part."""

from __future__ import annotations

import itertools

import numpy as np

from fusion.association import GnnAssociator, gate_threshold
from fusion.identity import TagBinder
from fusion.track import TrackTable
from fusion.track_management import MissDeleter, MofNInitiator, position_std
from fusion.tracker import Tracker, TrackerConfig

R_POS = np.eye(2) * 0.1**2


def _reference_life(events, m, n, d):
    """Track life written the plain way (lists, one track at a time): events are 'h', 'm' or '-' (a scan
    that could not see the track). Returns (confirmed, deleted) after each event."""
    history, misses, confirmed, out = [True], 0, False, []
    for e in events:
        if e != "-":
            history = ([*history, e == "h"])[-n:]
            misses = 0 if e == "h" else misses + 1
        hits = sum(history)
        deleted = False
        if not confirmed:
            if hits >= m:
                confirmed = True
            elif hits + (n - len(history)) < m:
                deleted = True
        elif misses >= d:
            deleted = True
        out.append((confirmed, deleted))
        if deleted:
            break
    return out


def test_table_initiator_and_deleter_match_the_plain_rules_on_every_short_life():
    m, n, d = 3, 5, 2
    init, deleter = MofNInitiator(m, n), MissDeleter(d, max_position_std_m=1e9)
    lives = list(itertools.product("hm-", repeat=6))
    table = TrackTable(n)
    table.append(list(range(len(lives))), ["unknown"] * len(lives))
    alive = np.arange(len(lives))
    expected = [_reference_life(life, m, n, d) for life in lives]
    P = np.zeros((len(lives), 4, 4))
    for step in range(6):
        events = np.array([lives[i][step] for i in alive])
        counted = np.flatnonzero(events != "-")
        table.record(counted, events[counted] == "h")
        confirm, drop = init.review(table)
        lose, delete = deleter.review(table, P[: len(alive)], float(step))
        assert not lose.any()  # keep_lost_s 0: a lost track is deleted at once
        delete |= drop
        table.confirmed |= confirm
        for row, i in enumerate(alive):
            if step < len(expected[i]):
                assert (bool(table.confirmed[row]), bool(delete[row])) == expected[i][step], (lives[i], step)
        table.keep(~delete)
        alive = alive[~delete]


def test_deleter_drops_tracks_whose_position_sigma_passed_the_limit():
    P = np.zeros((3, 4, 4))
    P[:, 0, 0], P[:, 1, 1] = [1.0, 4.0, 9.0], [1.0, 4.0, 9.0]
    assert np.allclose(position_std(P), [1, 2, 3])
    assert MissDeleter(6, 2.5).unseen(P).tolist() == [False, False, True]


def test_a_lost_track_coasts_unreported_and_is_reacquired_under_its_id():
    """A walker followed, then hidden (its scans count as misses), then seen again nearby: the same track
    id comes back when the tracker keeps lost tracks, a new one when it does not."""

    def run(keep_lost_s):
        tr = Tracker(TrackerConfig(filter="numpy", keep_lost_s=keep_lost_s, delete_after_misses=3))
        reported = []
        for k in range(40):
            t = 0.1 * k
            z = np.array([[1.0 + 0.5 * t, 2.0]])
            hidden = 10 <= k < 20
            tr.update_positions(t, z[:0] if hidden else z, R_POS)
            reported.append([s.id for s in tr.states(confirmed_only=True)])
        return tr, reported

    tr, reported = run(keep_lost_s=3.0)
    assert reported[9] == [1] and reported[15] == [] and reported[-1] == [1]  # lost, then back as 1
    assert tr.stats.tracks_started == 1
    tr, reported = run(keep_lost_s=0.0)
    assert reported[9] == [1] and reported[-1] == [2]
    # Lost longer than keep_lost_s: deleted, and what comes back is a new track.
    lost = MissDeleter(3, 4.0, keep_lost_s=1.0)
    table = TrackTable(5)
    table.append([7], ["worker"])
    table.confirmed[:], table.lost[:], table.lost_at[:] = True, True, 2.0
    P = np.zeros((1, 4, 4))
    assert lost.review(table, P, 2.9)[1].tolist() == [False]
    assert lost.review(table, P, 3.1)[1].tolist() == [True]


def test_a_coasting_track_past_the_report_limit_is_hidden_not_lost():
    """A walker followed, then unseen by any scan (no misses count): its σ grows as the CV model says;
    it stops being reported once σ passes `report_position_std_m`, is neither lost nor deleted, and is
    reported again under its id at the next measurement."""
    tr = Tracker(TrackerConfig(filter="numpy", report_position_std_m=1.0, max_position_std_m=4.0))
    reported, std = [], []
    for k in range(60):
        t = 0.1 * k
        seen = k < 10 or k == 59
        blind = None if seen else (lambda xy: np.zeros(len(xy), bool))  # the scan could not see it
        tr.update_positions(t, np.array([[1.0 + 0.5 * t, 2.0]])[: int(seen)], R_POS, covered=blind)
        reported.append([s.id for s in tr.states(confirmed_only=True)])
        std.append(float(position_std(tr.bank.P)[0]))
    std = np.array(std)
    hidden = [k for k in range(59) if std[k] > 1.0]
    assert hidden and all(reported[k] == [] for k in hidden)
    assert all(reported[k] == [1] for k in range(3, 59) if std[k] <= 1.0)  # confirmed at the third hit
    assert not tr.tracks.lost.any() and reported[-1] == [1] and tr.stats.tracks_started == 1


def test_gnn_associator_is_the_best_gated_assignment_by_brute_force():
    rng = np.random.default_rng(3)
    gate = gate_threshold(2, 0.99)
    for _ in range(40):
        nt, nm = rng.integers(1, 4), rng.integers(1, 4)
        x = np.column_stack([rng.uniform(0, 4, (nt, 2)), np.zeros((nt, 2))])
        P = np.broadcast_to(np.eye(4) * 0.3, (nt, 4, 4)).copy()
        z = rng.uniform(0, 4, (nm, 2))
        R = np.broadcast_to(np.eye(2) * 0.2, (nm, 2, 2)).copy()
        rows, cols, d2 = GnnAssociator(0.99).associate(x, P, z, R)
        best = None
        for k in range(min(nt, nm) + 1):  # every partial matching inside the gate
            for ts in itertools.permutations(range(nt), k):
                for ms in itertools.combinations(range(nm), k):
                    if all(d2[t, c] <= gate for t, c in zip(ts, ms, strict=True)):
                        key = (-k, sum(d2[t, c] for t, c in zip(ts, ms, strict=True)))
                        best = key if best is None or key < best else best
        assert len(rows) == -best[0] and np.isclose(d2[rows, cols].sum(), best[1])


def test_a_replaced_associator_is_the_one_used():
    class NeverAssociate:
        calls = 0

        def associate(self, x, P, z, R, first=None):
            NeverAssociate.calls += 1
            return np.zeros(0, int), np.zeros(0, int), np.zeros((len(x), len(z)))

    tr = Tracker(associator=NeverAssociate())
    for k in range(3):
        tr.update_positions(0.1 * k, np.array([[3.0, 3.0]]), R_POS)
    assert NeverAssociate.calls == 2 and tr.stats.tracks_started == 3  # every scan starts a new track


def test_tag_binder_binds_only_an_unambiguous_confirmed_track_and_swaps_back_a_crossed_pair():
    table = TrackTable(5)
    table.append([1, 2, 3, 4], ["worker"] * 4)
    table.confirmed[:] = [True, True, False, True]
    binder = TagBinder(swap_window_s=2.0)

    def fit(rows, k):  # read 0 fits row 0 only (row 2 is tentative); read 1 fits rows 1 and 3
        return np.array([[0.5, 50.0, 0.1, 50.0], [50.0, 0.5, 0.1, 0.5]])[k][rows], np.ones(len(rows))

    rows, keep, unbound = binder.assign(table, 0.0, ["A", "B"], fit, gate=6.63)
    assert (rows, keep, unbound) == ([0], [0], [1]) and table.tag == ["A", None, None, None]
    table.tag[1] = "B"
    # A deliberate wrong binding: each tag's reads now fit the other's track, within the window.
    binder.disagreement(table, 1.0, "A", np.array([1]))
    assert table.tag[:2] == ["A", "B"] and binder.swaps == 0
    binder.disagreement(table, 1.5, "B", np.array([0]))
    assert table.tag[:2] == ["B", "A"] and binder.swaps == 1
    binder.disagreement(table, 10.0, "B", np.array([1]))
    binder.disagreement(table, 13.0, "A", np.array([0]))  # too far apart in time: no swap
    assert binder.swaps == 1


def test_likelihood_binder_recovers_from_a_deliberate_wrong_binding():
    """Two confirmed tracks 6 m apart, tag A read at track 1's range from an anchor at the origin. A
    binding of A to track 2 made by hand is revised once the reads' evidence exceeds the minimum, and the
    evidence needed is what the closed form says: reads add ln N(0; 0, s) + ln 15 nats each."""
    from fusion.identity import LikelihoodBinder

    table = TrackTable(5)
    table.append([1, 2], ["worker"] * 2)
    table.confirmed[:] = True
    binder = LikelihoodBinder(memory_s=1e9, min_evidence=3.0, null_range_m=15.0, clip=4.0)
    table.tag[1] = "A"  # wrong on purpose
    s = 1.0

    def fit(rows, k):  # track 1 (row 0) at the read's range, track 2 (row 1) 6 σ off
        return np.array([0.0, 36.0])[rows], np.full(len(rows), s)

    per_read = -0.5 * np.log(2 * np.pi * s) + np.log(15.0)  # ≈ 1.79 nats
    needed = int(np.ceil(3.0 / per_read))  # 2 reads
    for k in range(needed):
        binder.assign(table, float(k), ["A"], fit, gate=6.63)
        expected = ["A", None] if per_read * (k + 1) >= 3.0 else [None, "A"]
        assert table.tag == expected, (k, table.tag)
    assert binder.swaps == 1
    rows, keep, unbound = binder.assign(table, 10.0, ["A", "B"], fit, gate=6.63)
    assert (rows, keep, unbound) == ([0], [0], [1])  # B has evidence for track 1 too, but A holds it


def test_bearings_work_with_the_default_imm_filter():
    """Regression: ImmBank.ekf lacked the `residual` argument update_bearings passes (TypeError)."""
    for name in ("imm", "numpy"):
        tr = Tracker(TrackerConfig(filter=name))
        for k in range(5):
            tr.update_positions(0.1 * k, np.array([[5.0, 0.0]]), np.eye(2) * 0.5**2)
        before = tr.states()[0]
        _rows, cols = tr.update_bearings(0.5, np.zeros(2), np.array([0.05]), np.array([0.01]))
        after = tr.states()[0]
        assert cols.tolist() == [0] and after.x[1] > before.x[1] + 0.05, name


def test_update_ranges_returns_applied_count_and_unbound_reads():
    tr = Tracker()
    out = tr.update_ranges(0.0, np.zeros((1, 3)), np.array([2.0]), np.array([0.3]), ["X"])
    assert out == (0, [0])


def test_staged_gnn_lets_confirmed_tracks_choose_first():
    """Joint GNN gives the middle measurement to the tentative track (least total cost); staged, the
    confirmed track keeps it and the tentative one takes what is left (brute force over both orders)."""
    from fusion.association import gnn, staged_gnn

    d2 = np.array([[1.0, 3.0], [0.5, 8.0]])  # row 0 confirmed, row 1 tentative
    gate = 9.21
    assert [tuple(v) for v in gnn(d2, gate)] == [(0, 1), (1, 0)]  # 3 + 0.5 < 1 + 8
    rows, cols = staged_gnn(d2, gate, np.array([True, False]))
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 0), (1, 1)]
    # With the tentative track's only option gone it stays unassigned rather than stealing.
    rows, cols = staged_gnn(np.array([[1.0], [0.5]]), gate, np.array([True, False]))
    assert (rows.tolist(), cols.tolist()) == ([0], [0])


def test_a_measurement_inside_a_confirmed_tracks_birth_gate_starts_no_track():
    """Just outside the 99 % association gate but inside the 99.9 % birth gate: no duplicate track."""

    def confirmed_tracker(birth_p):
        tr = Tracker(TrackerConfig(filter="numpy", gate_probability=0.99, birth_gate_probability=birth_p))
        for k in range(4):
            tr.update_positions(0.1 * k, np.array([[5.0, 5.0]]), R_POS)
        assert tr.tracks.confirmed.all()
        return tr

    for birth_p, started in ((0.999, 1), (0.0, 2)):
        tr = confirmed_tracker(birth_p)
        s = np.sqrt(tr.bank.P[0, 0, 0] + 0.1**2)
        d = s * np.sqrt(0.5 * (gate_threshold(2, 0.99) + gate_threshold(2, 0.999)))  # between the gates
        tr.update_positions(0.3 + 1e-9, np.array([[5.0 + d, 5.0]]), R_POS)
        assert tr.stats.tracks_started == started
