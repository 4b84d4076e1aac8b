"""The 3D-CNN detector: frames, network geometry, box encoding and decoding, losses, training crops."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from perception.bev import BevGrid
from perception.bev_frames import BASE_CHANNELS, FRAME_CHANNELS, LOGODDS_SCALE, FrameStack, bev_frame
from perception.cnn3d import VELOCITY, Cnn3dConfig, Cnn3dDetector
from perception.cnn3d_boxes import Boxes, decode, encode, output_grid
from perception.cnn3d_detector import load_cnn3d
from perception.cnn3d_training import BoxSequence, CropSampler, TrainConfig, focal_loss
from perception.evidence import Evidence
from perception.weights_io import WeightsError, save_weights

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _ev(logodds, known):
    return Evidence(np.asarray(logodds, float), np.asarray(known, bool))


def test_frame_sums_each_sensor_group_and_blanks_the_static_map():
    static = np.zeros((3, 2), bool)
    static[0, 0] = True
    cam_a = _ev(np.full((3, 2), 1.5), np.ones((3, 2)))
    cam_b = _ev(-np.eye(3, 2), np.eye(3, 2))  # saw only the diagonal, as free floor
    height = np.full((3, 2), np.nan)
    height[2, 1] = 1.8
    lidar = _ev(np.full((3, 2), 2.4), np.ones((3, 2)))
    f = bev_frame([("camera", cam_a, None), ("camera", cam_b, None), ("range", lidar, height)], static)
    c = {n: k for k, n in enumerate(FRAME_CHANNELS)}
    assert f[c["camera_logodds"], 1, 1] == pytest.approx((1.5 - 1.0) / LOGODDS_SCALE)
    assert f[c["camera_logodds"], 2, 0] == pytest.approx(1.5 / LOGODDS_SCALE)
    assert f[c["camera_views"], 1, 1] == pytest.approx(1.0)  # two cameras saw it: 2 / 2
    assert f[c["camera_views"], 2, 0] == pytest.approx(0.5)
    assert f[c["range_height"], 2, 1] == pytest.approx(1.8 / 3.0) and f[c["range_height"], 1, 1] == 0
    assert f[c["thermal_logodds"]].sum() == 0
    assert (f[:7, 0, 0] == 0).all() and f[c["static"], 0, 0] == 1 and f[c["static"]].sum() == 1


def test_foreground_channels_count_the_cameras_that_see_foreground_and_leave_the_first_eight_alone():
    """Cameras' and thermal cameras' raw foreground is counted per group (over 2, capped at 1) in the two
    channels after the static map; the eight channels the first weights read are the frame without it."""
    static = np.zeros((3, 2), bool)
    static[0, 1] = True
    fg_a, fg_b, warm = np.zeros((3, 2), bool), np.zeros((3, 2), bool), np.zeros((3, 2), bool)
    fg_a[1:, :] = True
    fg_b[2, :] = True
    warm[:, 1] = True
    layers = [
        ("camera", Evidence(np.zeros((3, 2)), np.ones((3, 2), bool), foreground=fg_a), None),
        ("camera", Evidence(np.zeros((3, 2)), np.ones((3, 2), bool), foreground=fg_b), None),
        ("thermal", Evidence(np.zeros((3, 2)), np.ones((3, 2), bool), foreground=warm), None),
        ("range", _ev(np.full((3, 2), 2.4), np.ones((3, 2))), np.full((3, 2), 1.0)),
    ]
    f = bev_frame(layers, static)
    c = {n: k for k, n in enumerate(FRAME_CHANNELS)}
    assert f.shape[0] == len(FRAME_CHANNELS) == BASE_CHANNELS + 2
    expected = np.minimum((fg_a.astype(float) + fg_b) / 2, 1.0)
    expected[static] = 0.0
    np.testing.assert_array_equal(f[c["camera_foreground"]], expected)
    np.testing.assert_array_equal(f[c["thermal_foreground"]], np.where(static, 0.0, warm / 2))
    bare = [(g, Evidence(e.logodds, e.known), h) for g, e, h in layers]  # no foreground at all
    g = bev_frame(bare, static)
    np.testing.assert_array_equal(f[:BASE_CHANNELS], g[:BASE_CHANNELS])
    assert not g[BASE_CHANNELS:].any()


def test_weights_read_the_first_channels_of_a_frame_and_no_more():
    """Eight-channel weights give the same maps from a ten-channel frame, whatever its last two hold;
    ten-channel weights read them."""
    from perception.cnn3d_detector import BoxDetector

    torch.manual_seed(0)
    grid = BevGrid((0.0, 0.0), 0.2, (32, 24))
    rng = np.random.default_rng(0)
    x = rng.random((len(FRAME_CHANNELS), 5, *grid.shape)).astype(np.float32)
    y = x.copy()
    y[BASE_CHANNELS:] = rng.random(y[BASE_CHANNELS:].shape)
    eight = BoxDetector(Cnn3dDetector(Cnn3dConfig(width2d=8, head_width=8)), grid)
    ten = BoxDetector(Cnn3dDetector(Cnn3dConfig(channels=len(FRAME_CHANNELS), width2d=8, head_width=8)), grid)
    for a, b in zip(eight.maps(x), eight.maps(x[:BASE_CHANNELS]), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(eight.maps(x), eight.maps(y), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(ten.maps(x)[1], ten.maps(y)[1])


def test_frame_stack_is_oldest_first_and_pads_with_the_first_frame():
    stack = FrameStack(5)
    for k in range(3):
        stack.push(np.full((8, 2, 2), k, np.float32))
    x = stack.stacked()
    assert x.shape == (8, 5, 2, 2)
    assert list(x[0, :, 0, 0]) == [0, 0, 0, 1, 2]
    for k in range(3, 7):
        stack.push(np.full((8, 2, 2), k, np.float32))
    assert list(stack.stacked()[0, :, 0, 0]) == [2, 3, 4, 5, 6]


def test_a_frame_step_stacks_every_kth_frame_ending_with_the_newest():
    """Five frames two map steps apart span nine steps: frames t−8, t−6, …, t; padded with the oldest."""
    stack = FrameStack(5, step=2)
    for k in range(4):
        stack.push(np.full((8, 2, 2), k, np.float32))
    assert list(stack.stacked()[0, :, 0, 0]) == [0, 0, 0, 1, 3]  # 9 slots: 0 ×6, 1, 2, 3 → every 2nd
    for k in range(4, 12):
        stack.push(np.full((8, 2, 2), k, np.float32))
    assert list(stack.stacked()[0, :, 0, 0]) == [3, 5, 7, 9, 11]
    seq = _sequence()
    seq.frames[:, 0, 0, 0] = np.arange(len(seq.frames))  # each frame marked with its index
    x = seq.stack(6, 5, step=2)  # frames 6−8 … 6 two apart, the first frame standing in before the start
    assert list(x[0, :, 0, 0]) == [0, 0, 2, 4, 6]
    assert list(seq.stack(7, 5)[0, :, 0, 0]) == [3, 4, 5, 6, 7]
    assert Cnn3dConfig(frame_step=2).window == 9 and Cnn3dConfig().window == 5
    with pytest.raises(ValueError, match="frame_step"):
        Cnn3dDetector(Cnn3dConfig(frame_step=0))


def test_a_shift_of_the_input_moves_the_heatmap_by_the_same_distance():
    """Convolutions commute with translation: shifting the frames by 2k cells (k output cells) shifts the
    outputs by k cells, away from the borders where the zero padding differs. The inner level's stride
    makes that exact for shifts of whole inner cells (4 input cells)."""
    torch.manual_seed(0)
    model = Cnn3dDetector().eval()
    rng = np.random.default_rng(0)
    x = np.zeros((1, 8, 5, 64, 48), np.float32)
    x[..., 16:40, 12:30] = rng.normal(size=(1, 8, 5, 24, 18))
    shifted = np.roll(x, (8, 4), axis=(3, 4))  # 4 and 2 output cells
    with torch.no_grad():
        h0, r0 = model(torch.from_numpy(x))
        h1, r1 = model(torch.from_numpy(shifted))
    assert h0.shape == (1, 3, 32, 24)
    np.testing.assert_allclose(h1[0, :, 4 + 4 : 4 + 24, 2 + 4 : 2 + 18], h0[0, :, 4:24, 4:18], atol=1e-5)
    np.testing.assert_allclose(r1[0, :, 4 + 4 : 4 + 24, 2 + 4 : 2 + 18], r0[0, :, 4:24, 4:18], atol=1e-5)


def test_odd_grids_give_the_output_grid_shape():
    model = Cnn3dDetector().eval()
    with torch.no_grad():
        h, r = model(torch.zeros(1, 8, 5, 201, 125))
    out = output_grid(BevGrid((0, 0), 0.2, (201, 125)), 2)
    assert h.shape[-2:] == r.shape[-2:] == out.shape == (101, 63)


def _layers_as_built(model: Cnn3dDetector, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The network's layers called as built (eval-mode batch norms, the level upsampled and concatenated):
    the reference its eval-mode forward must give."""
    f = model.temporal(x)[:, :, 0]
    g = torch.nn.functional.interpolate(model.down(f), size=f.shape[-2:], mode="nearest")
    h = model.fuse(torch.cat([f, g], 1))
    return model.heatmap(h), model.regression(h)


@pytest.mark.parametrize("shape", [(1, 24, 16), (1, 23, 14), (2, 24, 16), (2, 22, 13), (3, 21, 18)])
def test_eval_mode_folds_batch_norm_and_upsamples_by_a_transposed_convolution_to_the_same_maps(shape):
    """Eval mode folds every batch norm into its convolution, runs the fuse block's convolution over the
    upsampled level as a stride-2 transposed convolution (even sizes) and a batch of one's temporal stem
    with time last: each must give the layers' own maps. Batch norm statistics that are not the identity,
    even and odd grids, batches of one, two and three."""
    torch.manual_seed(0)
    model = Cnn3dDetector(Cnn3dConfig(width2d=8, head_width=8))
    for bn in [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]:
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.2, 0.2)
    model.eval()
    batch, nx, ny = shape
    x = torch.rand(batch, 8, 5, nx, ny)
    with torch.no_grad():
        h, r = model(x)
        want_h, want_r = _layers_as_built(model, x)
    assert h.shape == (batch, 3, (nx + 1) // 2, (ny + 1) // 2)
    torch.testing.assert_close(h, want_h, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(r, want_r, atol=1e-5, rtol=1e-5)
    model.train()  # training runs the layers as built (batch statistics)
    with torch.no_grad():
        torch.testing.assert_close(model(x)[1], _layers_as_built(model, x)[1])


def test_the_transposed_kernel_is_a_three_by_three_convolution_after_a_nearest_upsampling():
    from perception.cnn3d import _upsampled_kernel

    torch.manual_seed(1)
    w, g = torch.randn(5, 4, 3, 3), torch.randn(2, 4, 6, 7)
    up = torch.nn.functional.interpolate(g, scale_factor=2, mode="nearest")
    want = torch.nn.functional.conv2d(up, w, padding=1)
    got = torch.nn.functional.conv_transpose2d(g, _upsampled_kernel(w), stride=2, padding=1)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_the_temporal_stem_needs_five_frames():
    with pytest.raises(ValueError, match="5 frames"):
        Cnn3dDetector(Cnn3dConfig(frames=4))


def _planted() -> Boxes:
    return Boxes(
        np.array([[3.13, 4.41], [8.9, 2.05], [6.0, 9.37]]),
        np.array([0, 2, 1]),
        np.array([[2.6, 1.2], [0.5, 0.5], [1.0, 0.7]]),
        np.array([0.3, -2.0, 3.0]),
        np.array([[1.5, -0.2], [0.0, 1.1], [-0.9, 0.0]]),
        np.ones(3),
    )


def test_decoding_the_encoded_targets_recovers_the_planted_boxes_exactly():
    out = BevGrid((0.0, 0.0), 0.4, (30, 30))
    boxes = _planted()
    heat, reg, mask = encode(boxes, out, 3)
    assert mask.sum() == 3 and heat.max() == 1.0
    got = decode(heat, reg, out, threshold=0.5)
    assert len(got) == 3
    order = [int(np.argmin(np.linalg.norm(got.xy - p, axis=1))) for p in boxes.xy]
    np.testing.assert_allclose(got.xy[order], boxes.xy, atol=1e-5)
    np.testing.assert_array_equal(got.cls[order], boxes.cls)
    np.testing.assert_allclose(got.size[order], boxes.size, rtol=1e-5)
    np.testing.assert_allclose(got.yaw[order], boxes.yaw, atol=1e-5)
    np.testing.assert_allclose(got.vel[order], boxes.vel, atol=1e-6)
    np.testing.assert_allclose(got.score, 1.0)


def test_decoding_keeps_one_peak_per_neighbourhood_across_classes_and_the_threshold():
    out = BevGrid((0.0, 0.0), 0.4, (10, 10))
    heat = np.zeros((3, 10, 10), np.float32)
    heat[0, 4, 4], heat[2, 5, 4] = 0.9, 0.6  # neighbours of different classes: one body
    heat[1, 8, 1] = 0.2  # alone but under the threshold
    got = decode(heat, np.zeros((8, 10, 10), np.float32), out, threshold=0.3)
    assert len(got) == 1 and got.cls[0] == 0 and got.score[0] == pytest.approx(0.9)
    np.testing.assert_allclose(got.xy[0], [1.6, 1.6])


@pytest.mark.parametrize("cells", [3, 5])
def test_velocity_read_round_a_peak_is_the_heatmap_weighted_mean_of_a_brute_force_window(cells):
    rng = np.random.default_rng(4)
    out = BevGrid((0.0, 0.0), 0.4, (12, 9))
    heat = rng.uniform(0.0, 0.2, (3, 12, 9)).astype(np.float32)
    heat[1, 0, 4], heat[0, 6, 6], heat[2, 11, 8] = 0.9, 0.8, 0.7  # peaks on an edge, inside, in a corner
    reg = rng.normal(size=(8, 12, 9)).astype(np.float32)
    got = decode(heat, reg, out, threshold=0.5, velocity_cells=cells)
    best, h = heat.max(0), cells // 2
    for (i, j), v in zip([(0, 4), (6, 6), (11, 8)], got.vel, strict=True):
        w = s = 0.0
        for a in range(i - h, i + h + 1):
            for b in range(j - h, j + h + 1):
                if 0 <= a < 12 and 0 <= b < 9:  # cells off the grid weigh nothing
                    w, s = w + best[a, b], s + best[a, b] * reg[VELOCITY, a, b]
        np.testing.assert_allclose(v, s / w, rtol=1e-5)
    # The other regressions are still read at the peak cell.
    np.testing.assert_allclose(got.size, decode(heat, reg, out, threshold=0.5).size)
    with pytest.raises(ValueError, match="odd"):
        decode(heat, reg, out, velocity_cells=2)


def test_focal_loss_matches_its_closed_form():
    logits = torch.tensor([[[[0.0, 2.0], [-1.0, 1.0]]]])
    target = torch.tensor([[[[1.0, 0.5], [0.0, 0.25]]]])
    p = torch.sigmoid(logits).numpy().ravel()
    t = target.numpy().ravel()
    pos = -np.log(p[0]) * (1 - p[0]) ** 2
    neg = sum(-np.log(1 - p[k]) * p[k] ** 2 * (1 - t[k]) ** 4 for k in (1, 2, 3))
    assert float(focal_loss(logits, target)) == pytest.approx(pos + neg, rel=1e-5)


def _sequence(n_frames: int = 8) -> BoxSequence:
    """A body at (5.1, 3.3) m moving +x, drawn into the camera channel of every frame; seen from frame 2."""
    grid = BevGrid((0.0, 0.0), 0.2, (60, 40))
    frames = np.zeros((n_frames, 8, 60, 40), np.float16)
    frames[:, 3, 24:27, 15:18] = 1.0  # cells around (5.1, 3.3)
    k = np.arange(n_frames)
    return BoxSequence(
        grid,
        frames,
        k,
        np.zeros(n_frames, int),
        np.tile([5.1, 3.3], (n_frames, 1)),
        np.tile([2.0, 1.0], (n_frames, 1)),
        np.full(n_frames, 0.4),
        np.tile([1.0, 0.5], (n_frames, 1)),
        k >= 2,
        np.zeros(n_frames, int),
    )


def test_seen_within_a_window_matches_a_brute_force_count():
    seq = _sequence()
    seen = seq.seen_within(3)
    brute = [seq.seen[max(0, f - 2) : f + 1].any() for f in seq.frame]
    np.testing.assert_array_equal(seen, brute)


def test_augmented_crops_keep_targets_on_the_evidence_and_turn_velocities_with_the_grid():
    """Whatever the crop, mirror and transpose, the target peak sits on the drawn body and the target
    velocity is the true one turned with the grid (its length kept)."""
    seq = _sequence()
    config = TrainConfig(crop_cells=32, blank_group_probability=0.0, on_body_fraction=1.0)
    sampler = CropSampler([seq], config, np.random.default_rng(3))
    turned = set()
    for _ in range(24):
        x, heat, reg, mask = sampler.sample()
        assert mask.sum() == 1
        i, j = np.argwhere(mask)[0]
        assert heat[0, i, j] == 1.0
        drawn = x[3, -1] > 0.5  # the body's cells in the crop's newest frame
        ci, cj = np.argwhere(drawn).mean(0)
        assert abs(ci / 2 - (i + reg[0, i, j])) < 0.6 and abs(cj / 2 - (j + reg[1, i, j])) < 0.6
        v = reg[6:8, i, j]
        assert np.hypot(*v) == pytest.approx(np.hypot(1.0, 0.5), rel=1e-5)
        assert sorted(np.abs(v).round(4)) == [0.5, 1.0]
        turned.add(tuple(np.sign(v)))
    assert len(turned) >= 3


def test_weights_round_trip_and_a_foreign_file_is_refused(tmp_path):
    model = Cnn3dDetector(Cnn3dConfig(width2d=16, head_width=8))
    save_weights(model, tmp_path / "w.pt", {"heldout": {"ap_seen": 0.5}})
    loaded, meta = load_cnn3d(tmp_path / "w.pt")
    assert loaded.config.width2d == 16 and meta["heldout"]["ap_seen"] == 0.5
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match=r"bad\.pt"):
        load_cnn3d(tmp_path / "bad.pt")


def test_training_repeats_exactly_from_its_seed():
    from dataclasses import replace

    from perception.cnn3d_training import train_cnn3d

    config = TrainConfig(epochs=1, steps_per_epoch=2, batch=2, crop_cells=32)
    config = replace(config, model=Cnn3dConfig(width2d=8, head_width=8))
    a, _ = train_cnn3d([_sequence()], config)
    b, _ = train_cnn3d([_sequence()], config)
    c, _ = train_cnn3d([_sequence()], replace(config, seed=1))
    same = [torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True)]
    assert all(same)
    assert not all(
        torch.equal(x, y) for x, y in zip(a.state_dict().values(), c.state_dict().values(), strict=True)
    )


def test_training_feeds_batches_channels_last_and_the_layout_changes_only_rounding(monkeypatch):
    """Training batches reach the network channels last on the CPU (oneDNN's fast layout) unless
    `channels_last` is off, when they come as cut (the older weights' bits); the layout changes the
    order of sums only, so a few steps either way end at the same weights to rounding."""
    from dataclasses import replace

    from perception.cnn3d_training import train_cnn3d

    config = TrainConfig(epochs=1, steps_per_epoch=3, batch=2, crop_cells=32)
    config = replace(config, model=Cnn3dConfig(width2d=8, head_width=8))
    forward, seen = Cnn3dDetector.forward, []

    def spy(self, x):
        if self.training:  # the held-out evaluation is not a training batch
            seen.append(
                (x.shape[0], x.is_contiguous(memory_format=torch.channels_last_3d), x.is_contiguous())
            )
        return forward(self, x)

    monkeypatch.setattr(Cnn3dDetector, "forward", spy)
    last, _ = train_cnn3d([_sequence()], config)
    assert seen == [(2, True, False)] * 3
    seen.clear()
    first, _ = train_cnn3d([_sequence()], replace(config, channels_last=False))
    assert seen == [(2, False, True)] * 3
    a, b = last.state_dict(), first.state_dict()
    assert any(not torch.equal(a[k], b[k]) for k in a)  # not the same sums ...
    for k in a:  # ... but the same weights to rounding
        torch.testing.assert_close(a[k], b[k], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("past", [False, True])
def test_flip_averaged_maps_mirror_exactly_with_the_input(past):
    """The four-mirror average is equivariant by construction: mirroring the frames mirrors the heatmaps
    and regressions, with x offsets measured from the other side and yaw's cosine and vx turned (and
    every past vx) — which fails if any channel is mapped back wrongly. An odd grid keeps the plain
    output's shape."""
    from perception.cnn3d_detector import flip_averaged

    torch.manual_seed(0)
    model = Cnn3dDetector(Cnn3dConfig(width2d=8, head_width=8, past_velocities=past)).eval()
    x = torch.rand(1, 8, 5, 24, 16)
    h, r = flip_averaged(model, x)
    assert r.shape[1] == (16 if past else 8)
    for axis, offset, yaw, vel in ((0, 0, 5, 6), (1, 1, 4, 7)):  # x: cos yaw and vx; y: sin yaw and vy
        hm, rm = flip_averaged(model, x.flip(3 + axis))
        back = rm.flip(2 + axis).clone()
        back[:, offset] = 1.0 - back[:, offset]
        back[:, yaw] *= -1
        back[:, vel] *= -1
        back[:, 8 + axis :: 2] *= -1
        torch.testing.assert_close(hm.flip(2 + axis), h, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(back, r, atol=1e-5, rtol=1e-5)
        assert not torch.allclose(rm.flip(2 + axis), r, atol=1e-3)  # the mapping is not the identity
    odd = torch.rand(1, 8, 5, 25, 14)
    plain_h, plain_r = model(odd)
    h, r = flip_averaged(model, odd)
    assert h.shape == plain_h.shape and r.shape == plain_r.shape


def test_crops_cut_by_worker_processes_train_the_same_weights():
    """The crops are drawn in the training process and only cut in the workers, so the number of workers
    changes nothing; a drawn epoch is the sampler's own batches, in order."""
    from dataclasses import replace

    from perception.cnn3d_training import train_cnn3d

    config = TrainConfig(epochs=2, steps_per_epoch=3, batch=2, crop_cells=32)
    config = replace(config, model=Cnn3dConfig(width2d=8, head_width=8))
    a, _ = train_cnn3d([_sequence()], config)
    b, _ = train_cnn3d([_sequence()], config, workers=2)
    for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y)
    one = CropSampler([_sequence()], config, np.random.default_rng(5))
    other = CropSampler([_sequence()], config, np.random.default_rng(5))
    for got, want in zip(one.epoch(3, workers=2), (other.batch("cpu") for _ in range(3)), strict=True):
        for g, w in zip(got, want, strict=True):
            assert torch.equal(g, w)


def test_a_thinned_sequence_cuts_the_whole_ones_crops_at_the_frames_it_keeps():
    """`thinned(2, W)` holds half the frames; at frame step 2 every crop it cuts (frames, heatmap,
    regression, mask) equals the whole sequence's crop at the same map step, and its targets are the
    whole sequence's (seen within W steps, odd steps included). The sampler draws only stacks that lie
    inside the sequence."""
    from dataclasses import replace

    from perception.cnn3d_training import CropSpec

    rng = np.random.default_rng(0)
    whole = replace(_sequence(20), frames=rng.random((20, 8, 60, 40)).astype(np.float16))
    whole = replace(whole, seen=np.arange(20) % 4 == 1)  # seen on odd steps only
    config = replace(TrainConfig(crop_cells=32), model=Cnn3dConfig(frame_step=2))
    W = config.model.window  # 9 map steps
    thin = whole.thinned(2, W)
    assert thin.frames.shape[0] == 10 and thin.frames.base is None  # a copy: the whole can be freed
    cells = (slice(50, 70), slice(-3, None))  # a crop's cells, read alone (past the grid's edge: clipped)
    np.testing.assert_array_equal(whole.stack(12, 5, 2, cells), whole.stack(12, 5, 2)[:, :, 50:70, -3:])
    np.testing.assert_array_equal(thin.targets(W), whole.seen_within(W)[::2])
    assert thin.targets(W).any()
    full, half = CropSampler([whole], config, rng), CropSampler([thin], config, rng)
    for f, (mx, my, sw) in zip((4, 10, 18), ((0, 0, 0), (1, 0, 1), (0, 1, 0)), strict=True):
        spec = CropSpec(0, f, 6, -4, (False, True, False), (0, 0, 2), bool(mx), bool(my), bool(sw))
        for a, b in zip(full.cut(spec), half.cut(replace(spec, frame=f // 2)), strict=True):
            np.testing.assert_array_equal(a, b)
    assert min(half.draw().frame for _ in range(200)) >= 4  # steps 0…7 would pad with frame 0
    with pytest.raises(ValueError, match="window"):
        thin.targets(5)
    with pytest.raises(ValueError, match="frame step 1"):
        CropSampler([thin], TrainConfig(), rng)


def test_a_late_group_is_zeroed_in_the_newest_frames_only():
    """A group drawn late (`CropSpec.late`) loses its channels in that many of the stack's newest frames
    and keeps them, with every other channel, in the older ones; the targets are unchanged. A group is
    drawn late only when not blanked, for 1 to frames − 2 frames, and never with probability 0."""
    from dataclasses import replace

    from perception.cnn3d_training import GROUP_CHANNELS, CropSpec

    rng = np.random.default_rng(1)
    seq = replace(_sequence(20), frames=(rng.random((20, 10, 60, 40)) + 0.1).astype(np.float16))
    config = replace(TrainConfig(crop_cells=32), model=Cnn3dConfig(frame_step=2, channels=10))
    sampler = CropSampler([seq], config, rng)
    plain = CropSpec(0, 12, 10, 4, (False, False, False), (0, 0, 0), False, False, False)
    late = replace(plain, late=(0, 2, 0))  # the cameras' channels gone from the newest two frames
    a, b = sampler.cut(plain), sampler.cut(late)
    cam = list(GROUP_CHANNELS[1])
    assert (b[0][cam, 3:] == 0).all() and (a[0][cam, 3:] > 0).all()
    np.testing.assert_array_equal(b[0][cam, :3], a[0][cam, :3])
    others = [c for c in range(10) if c not in cam]
    np.testing.assert_array_equal(b[0][others], a[0][others])
    for x, y in zip(a[1:], b[1:], strict=True):
        np.testing.assert_array_equal(x, y)
    never, always = (
        CropSampler([seq], replace(config, late_group_probability=p), np.random.default_rng(5))
        for p in (0, 1)
    )
    assert all(never.draw().late == (0, 0, 0) for _ in range(50))
    some = [always.draw() for _ in range(50)]
    assert all(all((n > 0) != off for n, off in zip(s.late, s.blank, strict=True)) for s in some)
    assert {n for s in some for n in s.late} == {0, 1, 2, 3}


def _moving(n_frames: int = 20) -> BoxSequence:
    """Two bodies on known paths: one accelerating along x (a = 0.5 m/s²), one circling (ω = 0.8 rad/s);
    the second has no row in frame 5 (a gap the past velocities must survive)."""
    t = np.arange(n_frames) * 0.1
    a = np.stack([2.0 + 0.25 * t**2, np.full_like(t, 3.0)], 1)
    b = np.stack([6.0 + np.cos(0.8 * t), 4.0 + np.sin(0.8 * t)], 1)
    va = np.stack([0.5 * t, np.zeros_like(t)], 1)
    vb = 0.8 * np.stack([-np.sin(0.8 * t), np.cos(0.8 * t)], 1)
    keep = np.r_[np.ones(n_frames, bool), np.arange(n_frames) != 5]
    k = np.r_[np.arange(n_frames), np.arange(n_frames)][keep]
    m = len(k)
    return BoxSequence(
        BevGrid((0.0, 0.0), 0.2, (60, 40)),
        np.zeros((n_frames, 8, 60, 40), np.float16),
        k,
        np.zeros(m, int),
        np.r_[a, b][keep],
        np.tile([1.0, 0.6], (m, 1)),
        np.zeros(m),
        np.r_[va, vb][keep],
        np.ones(m, bool),
        np.repeat([0, 1], n_frames)[keep],
    )


def test_past_velocities_are_each_bodys_mean_velocity_from_every_earlier_stacked_frame():
    """Against a brute force over the paths: (x(t) − x(t − kτ)) / kτ for k = 1…4 frames `step` apart,
    the earliest frame clamped at the start as the stack clamps it; a missing row or no elapsed time
    takes the row's own velocity. A thinned sequence gives the whole one's at the frames it keeps."""
    seq = _moving()
    rows = np.arange(len(seq.frame))
    got = seq.past_velocity(rows, 5, 2)
    pos = {(int(f), int(a)): xy for f, a, xy in zip(seq.frame, seq.actor, seq.xy, strict=True)}
    for r in rows:
        f, a = int(seq.frame[r]), int(seq.actor[r])
        for k in range(1, 5):
            back = max(f - 2 * k, 0)
            if back == f or (back, a) not in pos:
                want = seq.vel[r]
            else:
                want = (seq.xy[r] - pos[back, a]) / ((f - back) * 0.1)
            np.testing.assert_allclose(got[r, k - 1], want, atol=1e-12)
    # the accelerating body: the mean velocity over the last kτ is a(t − kτ/2), below the velocity at t
    r = 15  # body 0, frame 15: t = 1.5 s
    np.testing.assert_allclose(got[r, :, 0], 0.5 * (1.5 - 0.2 * np.arange(1, 5) / 2), atol=1e-12)
    thin = seq.thinned(2, 9)
    np.testing.assert_allclose(
        thin.past_velocity(np.arange(len(thin.frame)), 5, 1), got[seq.frame % 2 == 0], atol=1e-12
    )


def test_augmented_crops_turn_the_past_velocities_with_the_grid():
    """With `past_velocities` the crop's extra regression channels are the body's past velocities, turned
    by each mirror and transpose exactly as its velocity is; the first 8 channels are those of a model
    without them (the same draws, the same crops)."""
    from dataclasses import replace

    seq = replace(_moving(), seen=np.ones(39, bool))
    config = TrainConfig(crop_cells=32, blank_group_probability=0.0, on_body_fraction=1.0)
    with_past = replace(config, model=Cnn3dConfig(frame_step=2, past_velocities=True))
    plain = CropSampler([seq], replace(config, model=Cnn3dConfig(frame_step=2)), np.random.default_rng(1))
    past = CropSampler([seq], with_past, np.random.default_rng(1))
    for _ in range(16):
        spec = past.draw()
        assert spec == plain.draw()
        _, _, reg, mask = past.cut(spec)
        _, _, reg8, mask8 = plain.cut(spec)
        np.testing.assert_array_equal(reg[:8], reg8)
        np.testing.assert_array_equal(mask, mask8)
        assert reg.shape[0] == 16
        b = seq.boxes(spec.frame, past=(5, 2))
        for i, j in np.argwhere(mask):
            k = int(np.argmin(np.linalg.norm(b.vel - _unturn(reg[6:8, i, j], spec), axis=1)))
            want = b.past[k]
            got = np.array([_unturn(reg[8 + 2 * n : 10 + 2 * n, i, j], spec) for n in range(4)])
            np.testing.assert_allclose(got, want, atol=1e-5)


def _unturn(v: np.ndarray, spec) -> np.ndarray:
    """A crop's vector back in the site's axes: the transpose undone first, then the mirrors."""
    v = v[::-1] if spec.swap else v.copy()
    return v * np.array([-1.0 if spec.mirror_x else 1.0, -1.0 if spec.mirror_y else 1.0])


def test_crops_hold_the_channels_the_weights_read_and_blanking_a_group_blanks_its_foreground():
    """Eight-channel weights cut the same crops from a ten-channel dataset as from the eight-channel one;
    ten-channel weights cut ten, a camera group blanked takes its foreground channel with it, and an
    eight-channel dataset is refused for them."""
    from dataclasses import replace

    seq8 = _sequence()
    frames = np.zeros((len(seq8.frames), len(FRAME_CHANNELS), *seq8.grid.shape), np.float16)
    frames[:, :BASE_CHANNELS] = seq8.frames
    frames[:, FRAME_CHANNELS.index("camera_foreground"), 24:30, 15:18] = 0.5  # the body and its silhouette
    seq10 = replace(seq8, frames=frames)
    config = TrainConfig(crop_cells=32, on_body_fraction=1.0)
    a = CropSampler([seq8], config, np.random.default_rng(5))
    b = CropSampler([seq10], config, np.random.default_rng(5))
    for _ in range(6):
        for u, v in zip(a.sample(), b.sample(), strict=True):
            np.testing.assert_array_equal(u, v)
    wide = replace(config, model=Cnn3dConfig(channels=len(FRAME_CHANNELS)), blank_group_probability=0.5)
    sampler = CropSampler([seq10], wide, np.random.default_rng(1))
    blanked = kept = 0
    for _ in range(40):
        spec = sampler.draw()
        x = sampler.cut(spec)[0]
        assert x.shape[0] == len(FRAME_CHANNELS)
        fg = x[FRAME_CHANNELS.index("camera_foreground")].any()
        assert fg == (not spec.blank[1]) == x[3].any()
        blanked, kept = blanked + spec.blank[1], kept + (not spec.blank[1])
    assert blanked and kept
    with pytest.raises(ValueError, match="8 channels"):
        CropSampler([seq8], wide, np.random.default_rng(1))


def test_the_half_turn_average_turns_exactly_with_the_input():
    """The grid averaged with its half turn (`MIRROR_SETS[2]`, mirrored in x and y) is a group of two
    images, so turning the frames half round turns the maps — offsets from the far side on both axes,
    yaw's sine and cosine and both velocity components negated — which fails if either axis is mapped
    back wrongly. It is not the four-mirror average, and a single mirror is not an invariance of it."""
    from perception.cnn3d_detector import MIRROR_SETS, flip_averaged

    torch.manual_seed(0)
    model = Cnn3dDetector(Cnn3dConfig(width2d=8, head_width=8, past_velocities=True)).eval()
    x = torch.rand(1, 8, 5, 24, 16)
    h, r = flip_averaged(model, x, MIRROR_SETS[2])
    ht, rt = flip_averaged(model, x.flip(3, 4), MIRROR_SETS[2])
    back = rt.flip(2, 3).clone()
    back[:, 0:2] = 1.0 - back[:, 0:2]
    back[:, 4:8] *= -1  # sin, cos yaw (yaw → yaw + π) and vx, vy
    back[:, 8:] *= -1  # every past velocity
    torch.testing.assert_close(ht.flip(2, 3), h, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(back, r, atol=1e-5, rtol=1e-5)
    h4, _ = flip_averaged(model, x)
    assert not torch.allclose(h4, h, atol=1e-4)
    hx, _ = flip_averaged(model, x.flip(3), MIRROR_SETS[2])
    assert not torch.allclose(hx.flip(2), h, atol=1e-4)


def test_the_batched_half_turn_is_each_image_run_alone_and_turned_back_by_hand():
    """A brute-force reference for the batch the loop runs (both images at once, channels last on the CPU):
    the network run on the padded grid and on its half turn one at a time in the default layout, the
    second's maps turned back by hand (offsets from the far side, yaw and velocities negated), averaged.
    The batch must also reach the network channels last — oneDNN's fast layout (docs/performance.md)."""
    from perception.cnn3d_detector import MIRROR_SETS, flip_averaged

    torch.manual_seed(0)
    model = Cnn3dDetector(Cnn3dConfig(channels=10, width2d=8, head_width=8, past_velocities=True)).eval()
    x = torch.rand(1, 10, 5, 22, 13)  # odd sizes: padded to 24 × 16 with wall
    seen = []
    hook = model.register_forward_pre_hook(lambda _, a: seen.append(a[0]))
    h, r = flip_averaged(model, x, MIRROR_SETS[2])
    hook.remove()
    assert seen[0].shape[0] == 2 and seen[0].is_contiguous(memory_format=torch.channels_last_3d)
    padded = torch.zeros(1, 10, 5, 24, 16)
    padded[:, -1] = 1.0
    padded[..., :22, :13] = x
    with torch.no_grad():
        h0, r0 = model(padded)
        h1, r1 = model(padded.flip(3, 4).contiguous())
    h1, r1 = h1.flip(2, 3), r1.flip(2, 3).clone()
    r1[:, 0:2] = 1.0 - r1[:, 0:2]
    r1[:, 4:] *= -1  # yaw's sine and cosine, the velocity and every past velocity
    want_h = (torch.sigmoid(h0) + torch.sigmoid(h1))[:, :, :11, :7] / 2
    torch.testing.assert_close(h, want_h, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(r, ((r0 + r1) / 2)[:, :, :11, :7], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("flips", [2, 4])
def test_the_detectors_reused_batch_gives_a_fresh_batchs_maps_step_after_step(flips):
    """The detector refills one batch of mirror images at every step, leaving its wall padding as it
    was: each stack's maps must equal those of a batch built afresh (`flip_averaged`), to the bit, on an
    odd grid whose mirrored images hold the frames in different corners — which fails if a refill
    writes into another image's padding or a stale image survives."""
    from perception.cnn3d_detector import MIRROR_SETS, BoxDetector, flip_averaged

    torch.manual_seed(0)
    model = Cnn3dDetector(Cnn3dConfig(width2d=8, head_width=8)).eval()
    grid = BevGrid((0.0, 0.0), 0.2, (22, 13))
    det = BoxDetector(model, grid, flips=flips)
    rng = np.random.default_rng(0)
    for _ in range(3):
        frames = rng.uniform(-1, 1, (8, 5, 22, 13)).astype(np.float32)
        h, r = det.maps(frames)
        with torch.inference_mode():
            want_h, want_r = flip_averaged(model, torch.from_numpy(frames)[None], MIRROR_SETS[flips])
        assert np.array_equal(h, want_h[0].numpy()) and np.array_equal(r, want_r[0].numpy())
    batch = det._batch
    assert batch.shape == (flips, 8, 5, 24, 16) and torch.all(batch[0, -1, :, 22:] == 1.0)
    assert torch.all(batch[-1, :-1, :, :2] == 0.0)  # the half turn's padding is on its near side


@pytest.mark.parametrize("flips", [1, 2])
def test_an_ensemble_averages_each_networks_own_maps(flips):
    """Two networks' maps on the same images are the mean of each network run alone on them (heatmap
    probabilities and regressions, each mapped back from its mirror images first): a brute-force
    reference that fails if one network is left out, weighed twice or mixed before the sigmoid."""
    from perception.cnn3d_detector import MIRROR_SETS, BoxDetector, flip_averaged

    torch.manual_seed(0)
    a, b = (Cnn3dDetector(Cnn3dConfig(width2d=8, head_width=8)).eval() for _ in range(2))
    grid = BevGrid((0.0, 0.0), 0.2, (22, 13))
    frames = np.random.default_rng(1).uniform(-1, 1, (8, 5, 22, 13)).astype(np.float32)
    h, r = BoxDetector([a, b], grid, flips=flips).maps(frames)
    with torch.inference_mode():
        x = torch.from_numpy(frames)[None]
        if flips == 1:  # the grid alone is run unpadded
            (ha, ra), (hb, rb) = ((torch.sigmoid(hm), rm) for hm, rm in (a(x), b(x)))
        else:
            (ha, ra), (hb, rb) = (flip_averaged(m, x, MIRROR_SETS[flips]) for m in (a, b))
    np.testing.assert_allclose(h, ((ha + hb) / 2)[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(r, ((ra + rb) / 2)[0].numpy(), atol=1e-6)
    assert not np.allclose(h, ha[0].numpy(), atol=1e-3)  # the second network counts
    single, _ = BoxDetector(a, grid, flips=flips).maps(frames)
    np.testing.assert_allclose(single, ha[0].numpy(), atol=1e-6)


def test_first_layers_kept_across_steps_give_a_fresh_runs_maps_and_a_revised_frame_is_run_again():
    """Frames pushed 0.1 s apart and stacked two steps apart (as the loop stacks them): with the stack's
    keys the detector reuses each network's first layer over three frames it ran two steps before — one
    new output of three per network per step once the stack is full — and its maps are bit for bit those
    of a detector given no keys. A frame revised in place (a late layer) gets a new key: the outputs that
    read it are run again, and the maps still match."""
    from perception.cnn3d_detector import BoxDetector

    torch.manual_seed(0)
    models = [Cnn3dDetector(Cnn3dConfig(width2d=8, head_width=8)).eval() for _ in range(2)]
    grid = BevGrid((0.0, 0.0), 0.2, (22, 13))
    kept, fresh = BoxDetector(models, grid, flips=2), BoxDetector(models, grid, flips=2)
    calls = []
    for m in models:
        first = m.first_layer
        m.first_layer = lambda x, first=first: calls.append(x.shape[2]) or first(x)
    stack, rng = FrameStack(5, step=2), np.random.default_rng(0)
    for step in range(14):
        stack.push(rng.uniform(-1, 1, (8, 22, 13)).astype(np.float32))
        if step == 11:  # a late layer changes a frame the next stacks still read
            stack.revise(6, rng.uniform(-1, 1, (8, 22, 13)).astype(np.float32))
        calls.clear()
        h, r = kept.maps(stack.stacked(), stack.stacked_keys())
        assert all(n == 3 for n in calls)  # three frames at a time
        if 10 <= step and step != 11:
            assert len(calls) == 2  # one new output per network
        if step == 11:
            assert len(calls) == 2 * 2  # the revised frame is the newest but two here: two outputs read it
        want_h, want_r = fresh.maps(stack.stacked())
        assert np.array_equal(h, want_h) and np.array_equal(r, want_r)
    with pytest.raises(ValueError, match="one key per stacked frame"):
        kept.maps(stack.stacked(), stack.stacked_keys()[1:])


def test_an_ensemble_of_networks_reading_different_frames_is_refused():
    from perception.cnn3d_detector import BoxDetector

    a = Cnn3dDetector(Cnn3dConfig(width2d=8, head_width=8))
    b = Cnn3dDetector(Cnn3dConfig(width2d=8, head_width=8, frame_step=2))
    with pytest.raises(ValueError, match="same frames"):
        BoxDetector([a, b], BevGrid((0.0, 0.0), 0.2, (24, 16)))


@pytest.mark.parametrize("flips", [0, 3, True])
def test_the_detector_takes_only_a_count_of_images_it_knows(flips):
    from perception.bev import BevGrid
    from perception.cnn3d_detector import BoxDetector

    model = Cnn3dDetector(Cnn3dConfig(width2d=8, head_width=8))
    with pytest.raises(ValueError, match="flips"):
        BoxDetector(model, BevGrid((0.0, 0.0), 0.2, (24, 16)), flips=flips)


@pytest.mark.parametrize("loss", ["l1", "l2"])
def test_the_regression_loss_is_l1_on_the_box_and_the_chosen_loss_on_its_velocity(loss):
    """Closed form over two masked cells: mean absolute errors of offset, log size (× 0.5), yaw (× 0.3) and
    the past velocities, and the velocity's mean absolute or mean squared error."""
    from perception.cnn3d_training import TrainConfig, regression_loss

    torch.manual_seed(0)
    pred, target = torch.randn(1, 16, 3, 2), torch.randn(1, 16, 3, 2)
    mask = torch.zeros(1, 3, 2, dtype=torch.bool)
    mask[0, 0, 1] = mask[0, 2, 0] = True
    e = (pred - target)[0, :, mask[0]]  # (16, 2): the two masked cells
    vel = e[6:8].abs().mean() if loss == "l1" else (e[6:8] ** 2).mean()
    want = e[0:2].abs().mean() + 0.5 * e[2:4].abs().mean() + 0.3 * e[4:6].abs().mean() + vel
    want = want + e[8:].abs().mean()
    got = regression_loss(pred, target, mask, TrainConfig(velocity_loss=loss))
    torch.testing.assert_close(got, want)
