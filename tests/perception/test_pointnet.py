"""PointNet: permutation equivariance, learning capacity, safe loading, tiles, metrics and vote grouping."""

from __future__ import annotations

import pickle
from dataclasses import replace

import numpy as np
import pytest
import torch

from perception.point_instances import PointInstanceConfig, group_votes
from perception.point_tiles import tile_points
from perception.pointnet import PointNetConfig, PointNetSeg, WeightsError, load_weights, save_weights
from perception.segmentation_metrics import confusion, mean_iou, per_class_iou

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _tiles(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 12, (n, 2))
    t = tile_points(xy, 4.0)
    x = torch.from_numpy(rng.normal(size=(n, 6)).astype(np.float32))
    return x, torch.from_numpy(t.index), t.n, torch.from_numpy(t.column), t.n_columns


@pytest.mark.parametrize("tnet", [False, True])
def test_outputs_follow_a_permutation_of_the_points(tnet):
    torch.manual_seed(0)
    model = PointNetSeg(PointNetConfig(input_tnet=tnet)).eval()
    x, tile, nt, col, nc = _tiles(500)
    perm = torch.from_numpy(np.random.default_rng(1).permutation(500))
    with torch.no_grad():
        logits, votes = model(x, tile, nt, col, nc)
        logits_p, votes_p = model(x[perm], tile[perm], nt, col[perm], nc)
    assert torch.allclose(logits[perm], logits_p, atol=1e-5)
    assert torch.allclose(votes[perm], votes_p, atol=1e-5)


def test_a_tile_sees_only_its_own_points():
    """Changing the points of one tile leaves every other tile's outputs as they were."""
    torch.manual_seed(0)
    model = PointNetSeg().eval()
    x, tile, nt, col, nc = _tiles(400)
    x2 = x.clone()
    x2[tile == 0] += 3.0
    with torch.no_grad():
        a, _ = model(x, tile, nt, col, nc)
        b, _ = model(x2, tile, nt, col, nc)
    assert torch.allclose(a[tile != 0], b[tile != 0], atol=1e-6)
    assert not torch.allclose(a[tile == 0], b[tile == 0], atol=1e-3)


def test_overfits_one_small_batch():
    """Labels that depend on a point's height and its tile's content are learnt to near-perfect accuracy."""
    torch.manual_seed(0)
    x, tile, nt, col, nc = _tiles(600, seed=2)
    y = torch.where(x[:, 2] > 0.5, 4, torch.where(x[:, 3] > 0, 2, 0))
    model = PointNetSeg()
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    for _ in range(150):
        logits, _ = model(x, tile, nt, col, nc)
        loss = torch.nn.functional.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    acc = (model(x, tile, nt, col, nc)[0].argmax(1) == y).float().mean()
    assert acc > 0.97


def test_weights_round_trip(tmp_path):
    torch.manual_seed(0)
    model = PointNetSeg(PointNetConfig(point_widths=(16, 32, 48), head_widths=(24,))).eval()
    save_weights(model, tmp_path / "w.pt", {"tile_m": 3.0})
    loaded, meta = load_weights(tmp_path / "w.pt")
    x, tile, nt, col, nc = _tiles(100)
    with torch.no_grad():
        assert torch.equal(model(x, tile, nt, col, nc)[0], loaded(x, tile, nt, col, nc)[0])
    assert meta == {"tile_m": 3.0}


class _Sneaky:
    def __reduce__(self):
        return (print, ("code ran",))


@pytest.mark.parametrize(
    "content",
    [
        lambda p: torch.save([1, 2, 3], p),  # loads safely, but is not a state dict
        lambda p: torch.save({"state_dict": {"x": torch.zeros(1)}, "config": {}}, p),  # wrong shapes
        lambda p: p.write_bytes(pickle.dumps(_Sneaky())),  # an arbitrary pickle: refused unopened
        lambda p: p.write_text("not weights"),
    ],
)
def test_loading_refuses_what_is_not_a_pointnet_state_dict(tmp_path, content, capsys):
    path = tmp_path / "bad.pt"
    content(path)
    with pytest.raises(WeightsError, match=r"bad\.pt"):
        load_weights(path)
    assert "code ran" not in capsys.readouterr().out


def test_tiles_hold_their_points_and_columns_nest_in_tiles():
    xy = np.random.default_rng(0).uniform(-20, 45, (3000, 2))
    t = tile_points(xy, 4.0, (1.0, -1.0))
    assert np.all(np.abs(xy - t.centres[t.index]) <= 2.0 + 1e-9)
    tile_of_column = np.full(t.n_columns, -1)
    tile_of_column[t.column] = t.index
    assert np.array_equal(tile_of_column[t.column], t.index)  # no column spans two tiles


def test_iou_against_counting_sets():
    rng = np.random.default_rng(0)
    truth, pred = rng.integers(0, 5, 2000), rng.integers(0, 6, 2000)
    truth[truth == 3] = 2  # class 3 absent from the truth: it gets no IoU
    conf = confusion(truth, pred, 8)
    ious = per_class_iou(conf)
    for c in range(8):
        t, p = set(np.flatnonzero(truth == c)), set(np.flatnonzero(pred == c))
        if t:
            assert ious[c] == pytest.approx(len(t & p) / len(t | p))
        else:
            assert c not in ious
    assert mean_iou(conf) == pytest.approx(np.mean(list(ious.values())))


def test_votes_group_into_bodies_with_their_class_centre_and_axis():
    rng = np.random.default_rng(0)
    # A forklift (class 4) seen on its near face voting near (5, 5); a worker (6) voting at (5, 6.2).
    face = np.column_stack([rng.uniform(3.9, 6.1, 80), np.full(80, 4.5), rng.uniform(0.1, 2.0, 80)])
    worker = np.column_stack([rng.normal(5.0, 0.1, 30), rng.normal(6.2, 0.1, 30), rng.uniform(0.2, 1.7, 30)])
    floor = np.column_stack([rng.uniform(0, 10, 200), rng.uniform(0, 10, 200), np.zeros(200)])
    points = np.vstack([face, worker, floor])
    labels = np.r_[np.full(80, 4), np.full(30, 6), np.zeros(200, int)]
    votes = np.vstack([rng.normal([5, 5], 0.05, (80, 2)), rng.normal([5, 6.2], 0.05, (30, 2)), floor[:, :2]])
    config = PointInstanceConfig(radius_m=0.3, centre_by="votes")
    bodies = group_votes(points, labels, np.ones(len(points)), votes, config)
    assert sorted(bodies.cls.tolist()) == [4, 6]
    fl = int(np.flatnonzero(bodies.cls == 4)[0])
    assert np.allclose(bodies.centre[fl], [5, 5], atol=0.05)  # the votes' centre, not the face at y = 4.5
    by_points = group_votes(points, labels, np.ones(len(points)), votes, replace(config, centre_by="points"))
    assert np.allclose(by_points.centre[by_points.cls == 4], face[:, :2].mean(0))
    # Grouped by position instead, with a radius under the 1.2 m gap, the bodies stay apart as well.
    apart = group_votes(points, labels, np.ones(len(points)), votes, replace(config, group_by="points"))
    assert sorted(apart.cls.tolist()) == [4, 6]
    assert bodies.n_points[fl] == 80
    # Footprint axis against numpy's eigen-decomposition of the same points.
    w, v = np.linalg.eigh(np.cov(face[:, :2].T))
    axis = v[:, np.argmax(w)]
    assert abs(abs(np.cos(bodies.yaw[fl]) * axis[0] + np.sin(bodies.yaw[fl]) * axis[1]) - 1) < 1e-9
    assert bodies.extent[fl, 0] == pytest.approx(np.ptp(face[:, 0]), abs=1e-9)
    assert np.all(np.linalg.eigvalsh(bodies.covariance) > 0)
