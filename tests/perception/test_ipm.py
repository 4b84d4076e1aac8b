"""Inverse perspective mapping: floor points land in their cells, contact points of a rendered box land on
its footprint, unseen cells stay unknown and visibility counts add up across cameras."""

from __future__ import annotations

import numpy as np
import yaml

from perception.bev import BevGrid
from perception.camera_model import PinholeCamera, look_at_rotation
from perception.evidence import merge_evidence
from perception.ipm import camera_evidence, contact_points, ground_view, verticals


def _camera(position=(0.0, 0.0, 5.0), target=(8.0, 0.0, 0.0), w=160, h=120):
    return PinholeCamera.from_hfov(w, h, 70, position, look_at_rotation(position, target))


def test_ipm_maps_known_floor_points_to_their_cells():
    cam = _camera()
    grid = BevGrid.covering((16, 12), 0.2, origin=(0, -6))
    view = ground_view(cam, grid)
    rng = np.random.default_rng(0)
    pts = np.column_stack([rng.uniform(3, 12, 40), rng.uniform(-3, 3, 40)])
    uv, depth = cam.project(np.column_stack([pts, np.zeros(len(pts))]))  # the pinhole model, not H
    assert np.all(depth > 0)
    # The pixels' rays land back on the floor points exactly.
    np.testing.assert_allclose(cam.floor_points(uv[:, 0], uv[:, 1]), pts, atol=1e-9)
    # Paint floor discs into the image through the pinhole rays (not H): IPM lights the cells they hold.
    d = cam.pixel_directions()
    t = -cam.t_wc[2] / np.minimum(d[:, 2], -1e-9)
    ground = (cam.t_wc + t[:, None] * d)[:, :2]
    centres = pts[:6]
    r = 0.6
    in_disc = np.min(np.linalg.norm(ground[:, None] - centres[None], axis=2), axis=1) < r
    mask = (in_disc & (d[:, 2] < 0)).reshape(cam.height, cam.width)
    lit = (mask.ravel()[view.pixel] & view.visible).reshape(grid.shape)
    x, y = np.meshgrid(*grid.centres(), indexing="ij")
    dist = np.min(np.hypot(x[..., None] - centres[:, 0], y[..., None] - centres[:, 1]), axis=2)
    seen = view.visible.reshape(grid.shape)
    # Every visible cell well inside a disc is lit, none well outside; only the rim may differ.
    assert lit[(dist < r - 0.15) & seen].all()
    assert not lit[dist > r + 0.15].any()
    assert lit.sum() > 0.9 * ((dist < r) & seen).sum()
    # Cells behind the camera or outside the image are not visible.
    assert not view.visible.reshape(grid.shape)[: int(1.0 / 0.2), :].any()


def _rendered_boxes():
    """A forklift and an AGV seen by one camera: (truth, foreground mask, camera, floor mask, contacts)."""
    from perception.background import BackgroundModel
    from sim.loading import parse_scenario
    from sim.pipeline.frontends.blobs import camera_of
    from sim.pipeline.site_map import SiteMap
    from sim.simulation import Simulation

    d = {
        "name": "t",
        "duration_s": 1,
        "layout": {"size_m": [20, 12], "height_m": 8},
        "actors": [
            {
                "id": "f",
                "kind": "forklift",
                "motion": {"type": "stationary", "position": [11, 7], "yaw_deg": 30},
            },
            {"id": "a", "kind": "agv", "motion": {"type": "stationary", "position": [6, 9]}},
        ],
        "sensors": [{"id": "c", "type": "camera", "position": [1, 1, 6], "look_at": [9, 7, 0]}],
    }
    sc = parse_scenario(yaml.safe_dump(d))
    sim = Simulation(sc)
    step, _ = sim.reset()
    (frame,) = step.readings
    site = SiteMap(sim.world.static)
    spec = sc.sensors[0]
    fg = BackgroundModel(background=site.reference_rgb(spec)).apply(frame.rgb.astype(np.float32))
    cam, floor = camera_of(frame), site.floor_mask(spec)
    return step.truth, fg, cam, floor, contact_points(fg, cam, floor)


def test_contact_points_of_a_rendered_box_land_on_its_footprint():
    truth, _, _, _, contacts = _rendered_boxes()
    corners = truth.corners()
    for k in range(len(truth)):
        c, s = np.cos(truth.yaw[k]), np.sin(truth.yaw[k])
        rel = contacts.points - truth.xyz[k, :2]
        along, across = rel @ [c, s], rel @ [-s, c]
        half = truth.size[k, :2] / 2 + 0.1  # within a pixel's footprint of the box
        on = (np.abs(along) <= half[0]) & (np.abs(across) <= half[1])
        near = np.linalg.norm(rel, axis=1) < 3
        assert on.sum() >= 5, truth.ids[k]
        assert on[near].all(), (truth.ids[k], contacts.points[near & ~on])
        # The contacts are the box's near side: its corner nearest the camera is among them.
        nearest = corners[k][np.argmin(np.linalg.norm(corners[k] - [1, 1], axis=1))]
        assert np.linalg.norm(contacts.points[on] - nearest, axis=1).min() < 0.3


def test_leaning_verticals_point_to_the_nadir():
    cam = _camera(w=200, h=150)
    vert = verticals(cam)
    for corner in ([9, 6, 2.5], [9, -6, 2.0], [4, 2, 1.0]):  # world points towards the image's corners
        top = np.array([corner], float)
        a, _ = cam.project(top)
        b, _ = cam.project(top - [0, 0, 0.3])  # straight below it
        along = (b - a)[0] / np.linalg.norm(b - a)
        u, v = np.rint(a[0]).astype(int)
        assert 0 <= u < 200 and 0 <= v < 150 and abs(u - 100) > 40
        assert along @ vert.down[v, u] > 0.999


def test_unseen_cells_stay_unknown_and_views_add_up():
    grid = BevGrid.covering((16, 30), 0.2, origin=(0, -15))
    cams = [_camera((0, 0, 5), (8, 0, 0)), _camera((16, 0, 5), (8, 0, 0))]
    layers = []
    for cam in cams:
        mask = np.zeros((cam.height, cam.width), bool)
        contacts = contact_points(mask, cam)
        layers.append(camera_evidence(mask, contacts, ground_view(cam, grid), grid))
    both = merge_evidence(layers)
    seen0 = layers[0].known
    seen1 = layers[1].known
    np.testing.assert_array_equal(both.views, seen0.astype(int) + seen1)
    assert (both.logodds[~both.known] == 0).all()  # unknown: the prior, not "empty"
    assert (both.logodds[seen0 & seen1] == 2 * -1.0).all()
    assert seen0.any() and seen1.any() and (~both.known).any()


def test_contact_labels_are_the_whole_images_blobs_minus_the_small_ones():
    """Blobs are labelled in the box around the foreground; the numbering must be the whole image's."""
    from scipy import ndimage

    cam = _camera(w=200, h=150)
    rng = np.random.default_rng(2)
    for _ in range(20):
        mask = np.zeros((150, 200), bool)
        for _ in range(rng.integers(0, 6)):
            v, u = rng.integers(0, 150), rng.integers(0, 200)
            mask[v : v + rng.integers(1, 30), u : u + rng.integers(1, 30)] = True
        ref, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
        sizes = np.bincount(ref.ravel(), minlength=n + 1)
        ref[(sizes < 12)[ref]] = 0
        np.testing.assert_array_equal(contact_points(mask, cam, min_pixels=12).labels, ref)


def test_the_raw_foreground_lays_a_standing_bodys_silhouette_on_the_floor_beyond_its_contacts():
    """`foreground` is every visible cell whose floor pixel shows a blob: the footprint and the body's
    "shadow" away from the camera, as long as the body is tall; never free floor, and it holds every cell
    the log-odds call occupied from the image (contact cells may lie on a blob's rim)."""
    truth, fg, cam, floor, contacts = _rendered_boxes()
    grid = BevGrid.covering((20, 12), 0.1)
    ev = camera_evidence(fg, contacts, ground_view(cam, grid, floor), grid)
    assert ev.foreground.shape == grid.shape and ev.foreground.any()
    assert not (ev.foreground & (ev.logodds < 0)).any()  # no free cell
    occupied = ev.logodds > 0
    assert (ev.foreground[occupied]).mean() > 0.9
    x, y = np.meshgrid(*grid.centres(), indexing="ij")
    reach = {}
    for k, name in enumerate(truth.ids):
        centre = truth.xyz[k, :2]
        away = (centre - [1, 1]) / np.linalg.norm(centre - [1, 1])  # from the camera, on the floor
        rel = np.stack([x - centre[0], y - centre[1]], -1)
        along, across = rel @ away, rel @ [-away[1], away[0]]
        mine = ev.foreground & (np.abs(across) < 1.0) & (along > -2) & (along < 8)
        reach[name] = along[mine].max()  # how far beyond its centre its silhouette reaches
    # Seen from 6 m up, a point h high at d metres lands at d · 6 / (6 − h): the 0.4 m AGV's far top edge
    # (≈ 9.9 m away) at ≈ 10.6 m, 1.2 m beyond its centre; the forklift's mast runs to the wall.
    assert 0.7 < reach["a"] < 1.7 and reach["f"] > 4.0, reach
