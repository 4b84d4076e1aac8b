"""Tag-anchored reported ids: an actor keeps its id across a new track, ids stay unique per output."""

from __future__ import annotations

import numpy as np

from fusion.reported_ids import TagAnchoredIds
from fusion.track import TrackState


def _s(track_id: int, tag: str | None = None, t: float = 0.0, xy=(0.0, 0.0)) -> TrackState:
    return TrackState(track_id, t, np.array([*xy, 0.0, 0.0]), np.eye(4), "confirmed", "worker", tag)


def _ids(states) -> list[int]:
    return [s.id for s in states]


def test_a_new_track_carrying_a_known_tag_is_reported_under_the_tags_first_id():
    ids = TagAnchoredIds()
    assert _ids(ids([_s(3), _s(4)])) == [3, 4]
    assert _ids(ids([_s(3, "W1"), _s(4)])) == [3, 4]
    assert _ids(ids([_s(4)])) == [4]  # track 3 gone (the worker walked out of view)
    assert _ids(ids([_s(4), _s(17)])) == [4, 17]  # back, on a new track not yet identified
    assert _ids(ids([_s(4), _s(17, "W1")])) == [4, 3]  # identified: the worker's id again
    assert _ids(ids([_s(4), _s(17)])) == [4, 3]  # the tag unbound for a while: the id stays


def test_a_tags_anchor_is_the_id_it_was_reported_under_longest_not_its_first_binding():
    """Two forklifts' tags bound the wrong way round for two outputs, then put right: when forklift A
    comes back on a new track, it gets the id it carried A under for most of the run (2), not 1."""
    ids = TagAnchoredIds()
    for _ in range(2):
        ids([_s(1, "A"), _s(2, "B")])  # wrong: track 2 is forklift A
    for _ in range(5):
        assert _ids(ids([_s(1, "B"), _s(2, "A")])) == [1, 2]  # put right; the ids stay
    assert _ids(ids([_s(1, "B")])) == [1]  # track 2 lost: forklift A out of view
    assert _ids(ids([_s(1, "B"), _s(9, "A")])) == [1, 2]
    # A carried under 1 and under 4 for one output each: the earlier id is the anchor.
    ids = TagAnchoredIds()
    ids([_s(1, "A")])
    assert _ids(ids([_s(1), _s(4, "A")])) == [1, 4]  # 1 is a live track's own number: 4 keeps its own
    assert _ids(ids([_s(4), _s(7, "A")])) == [4, 1]


def test_a_track_reported_under_its_own_number_keeps_it():
    """Track 3 first carried W1 and lives on without it; W1 now on track 9 cannot take 3 from it."""
    ids = TagAnchoredIds()
    ids([_s(3, "W1")])
    assert _ids(ids([_s(3), _s(9, "W1")])) == [3, 9]
    assert _ids(ids([_s(9, "W1")])) == [9]  # 3 gone: 9 has settled under its own number; no late switch


def test_a_track_takes_a_tags_id_once_and_then_keeps_what_it_has():
    """Bindings move between tracks (two workers side by side); each move must not rename a track, or
    every wrong binding would be an identity switch (tuning seeds: switches 20 → 53 when they did)."""
    ids = TagAnchoredIds()
    ids([_s(1, "A"), _s(2, "B")])
    assert _ids(ids([_s(5, "A"), _s(6, "B")])) == [1, 2]  # 1 and 2 lost; their actors back on 5 and 6
    assert _ids(ids([_s(5, "B"), _s(6, "A")])) == [1, 2]  # the binder swaps the tags: the ids stay
    assert _ids(ids([_s(5), _s(6, "A")])) == [1, 2]


def test_two_tracks_with_the_same_anchor_get_one_each():
    ids = TagAnchoredIds()
    ids([_s(2, "A")])
    ids([_s(5, "B")])
    # 2 and 5 are gone; 7 carries A, 8 also claims A (a binder mid-swap): one takes 2, the other its own.
    assert sorted(_ids(ids([_s(8, "A"), _s(7, "A")]))) == [2, 8]


def test_a_tags_id_is_not_taken_where_its_actor_could_not_have_got_to():
    """At most 3 m/s plus 2 m from where the id was last reported: 10 s later 33 m is too far, 30.4 m not."""
    ids = TagAnchoredIds()
    ids([_s(1, "A", t=0.0, xy=(0.0, 0.0))])
    assert _ids(ids([_s(7, "A", t=10.0, xy=(33.0, 0.0))])) == [7]
    ids = TagAnchoredIds()
    ids([_s(1, "A", t=0.0, xy=(0.0, 0.0))])
    assert _ids(ids([_s(7, "A", t=10.0, xy=(30.0, 5.0))])) == [1]


def test_ids_are_unique_in_every_output_over_random_histories():
    """Fuzz: tracks born and dying, tags bound, moved and dropped at random — every output's ids are
    distinct, and a track reported under its own number is never reported under another's."""
    rng = np.random.default_rng(0)
    ids = TagAnchoredIds()
    alive: dict[int, str | None] = {}
    next_id = 1
    for _ in range(3000):
        r = rng.random()
        if r < 0.1 or not alive:
            alive[next_id] = None
            next_id += 1
        elif r < 0.2:
            del alive[int(rng.choice(list(alive)))]
        elif r < 0.5:
            alive[int(rng.choice(list(alive)))] = str(rng.integers(0, 6)) if rng.random() < 0.8 else None
        states = [_s(k, tag) for k, tag in alive.items()]
        out = ids(states)
        shown = _ids(out)
        assert len(set(shown)) == len(shown)
        live = set(alive)
        for s, o in zip(states, out, strict=True):
            assert o.id == s.id or o.id not in live  # never a live track's own number
