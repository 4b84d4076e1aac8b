"""Placement's own parts: which candidates share a mounting point (a restart bans them together)."""

from __future__ import annotations

from sim.coverage.placement import mount_groups


def test_candidates_share_a_mount_by_kind_and_point_whatever_their_aim():
    blocks = [
        {"type": "camera", "position": [0.3, 5.0, 6.0], "look_at": [6.0, 5.0, 0.0]},
        {"type": "camera", "position": [0.3, 5.0, 6.0], "look_at": [6.0, 9.0, 0.0]},  # same point, aimed away
        {"type": "camera", "position": [0.3, 5.004, 6.0], "look_at": [6.0, 1.0, 0.0]},  # within 1 cm
        {"type": "thermal", "position": [0.3, 5.0, 6.0], "look_at": [6.0, 5.0, 0.0]},  # another kind there
        {"type": "camera", "position": [0.3, 10.0, 6.0], "look_at": [6.0, 10.0, 0.0]},
        {"type": "beam", "from": [1.0, 0.0, 0.3], "to": [1.0, 3.0, 0.3]},
        {"type": "beam", "from": [1.0, 0.0, 0.3], "to": [1.0, 4.0, 0.3]},  # one end shared: another beam
    ]
    g = mount_groups(blocks).tolist()
    assert g[0] == g[1] == g[2]
    assert len({g[0], g[3], g[4], g[5], g[6]}) == 5
