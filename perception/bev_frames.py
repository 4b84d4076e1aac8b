"""Stacked BEV frames: the input of the 3D-CNN detector (`perception.cnn3d`).

One frame is every sensor's latest BEV evidence on the site grid, summed per kind of sensor so that a site
with one camera and a site with four give the network the same channels: range sensors' log-odds, how many
of them saw each cell and the highest return; cameras' and thermal cameras' log-odds and view counts; and
the static map (racks and walls, known from the layout); and, after those eight, how many cameras and
thermal cameras see foreground over each cell's floor (their raw inverse-perspective images: a standing
body's whole silhouette laid on the floor, where the log-odds keep only what lies near its contacts).
Weights read the first `channels` of them (`Cnn3dConfig.channels`), so weights trained on the first eight
read a frame with ten unchanged. `FrameStack` keeps T frames `step` frames apart
(the weights' `frame_step`), oldest first, as the (C, T, nx, ny) tensor the network reads.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from itertools import count

import numpy as np

from perception.evidence import Evidence

SENSOR_GROUPS = ("range", "camera", "thermal")
FRAME_CHANNELS = (
    "range_logodds",
    "range_views",
    "range_height",
    "camera_logodds",
    "camera_views",
    "thermal_logodds",
    "thermal_views",
    "static",
    "camera_foreground",
    "thermal_foreground",
)
N_CHANNELS = len(FRAME_CHANNELS)
BASE_CHANNELS = FRAME_CHANNELS.index("static") + 1  # the eight every frame has had from the first weights
STATIC = FRAME_CHANNELS.index("static")
LOGODDS_SCALE = 8.0  # evidence saturates near ±8 nats (4 capped LiDAR hits ≈ 4.8, the static map −8)
HEIGHT_SCALE = 3.0  # m: a forklift's mast is ≈ 2.2–3 m, a worker ≈ 1.8 m, an AGV ≈ 0.4 m


def bev_frame(layers: Iterable[tuple[str, Evidence, np.ndarray | None]], static: np.ndarray) -> np.ndarray:
    """One frame (C, nx, ny) float32 from (sensor group, evidence, highest return or None) layers; the
    static cells carry no evidence (a rack is not an object) and are marked in the last channel."""
    frame = np.zeros((N_CHANNELS, *static.shape), np.float32)
    for group, ev, height in layers:
        g = SENSOR_GROUPS.index(group)
        lo, views = (0, 1) if g == 0 else (1 + 2 * g, 2 + 2 * g)
        frame[lo] += ev.logodds
        frame[views] += ev.known
        if g and ev.foreground is not None:
            frame[STATIC + g] += ev.foreground
        if height is not None:
            np.fmax(frame[2], np.nan_to_num(height, nan=0.0), out=frame[2])
    for c in (0, 3, 5):
        np.clip(frame[c] / LOGODDS_SCALE, -1.0, 1.0, out=frame[c])
    for c in (1, 4, 6, 8, 9):
        np.minimum(frame[c] / 2.0, 1.0, out=frame[c])
    np.clip(frame[2] / HEIGHT_SCALE, 0.0, 1.5, out=frame[2])
    frame[:, static] = 0.0
    frame[STATIC] = static
    return frame


class FrameStack:
    """The last `frames` BEV frames, `step` map steps apart; before the stack is full the oldest frame
    stands in for the missing."""

    def __init__(self, frames: int = 5, step: int = 1):
        self.step = step
        self._buf: deque[np.ndarray] = deque(maxlen=(frames - 1) * step + 1)
        self._keys: deque[int] = deque(maxlen=self._buf.maxlen)
        self._serial = count()  # a key per frame content: pushing or revising a frame draws a new one

    def push(self, frame: np.ndarray) -> None:
        self._buf.append(frame)
        self._keys.append(next(self._serial))

    def __len__(self) -> int:
        return len(self._buf)

    def revise(self, k: int, frame: np.ndarray) -> None:
        """Replace the k-th held frame (0: the oldest)."""
        self._buf[k] = frame
        self._keys[k] = next(self._serial)

    def held(self) -> tuple[np.ndarray, ...]:
        """Every held frame, oldest first: one per map step, the stacked ones and those between them."""
        return tuple(self._buf)

    def _padded(self, held: list) -> list:
        return ([held[0]] * (self._buf.maxlen - len(held)) + held)[:: self.step]

    def stacked(self) -> np.ndarray:
        """(C, T, nx, ny), oldest frame first."""
        if not self._buf:
            raise ValueError("no frame pushed yet")
        return np.stack(self._padded(list(self._buf)), axis=1)

    def stacked_keys(self) -> tuple[int, ...]:
        """A key for each frame `stacked` gives, the same while that frame stands unchanged (for a
        detector that keeps work done on frames it has seen: `BoxDetector.maps`)."""
        return tuple(self._padded(list(self._keys)))


Layer = tuple[float, str, Evidence, "np.ndarray | None"]  # (time, sensor group, evidence, highest return)


def fresh_layers(layers: Mapping[str, Layer], t: float, max_age_s: float) -> dict[str, Layer]:
    """The layers a frame at t reads: those at most `max_age_s` old (a sensor that stopped is left out)."""
    return {sid: layer for sid, layer in layers.items() if t - layer[0] <= max_age_s}


def layers_frame(layers: Mapping[str, Layer], static: np.ndarray) -> np.ndarray:
    """`bev_frame` of sensor id → layer."""
    return bev_frame(((g, ev, h) for _, g, ev, h in layers.values()), static)


class LayerStack:
    """A `FrameStack` whose frames remember the sensor layers they were built from, so that a layer
    arriving too late for the newest frame (older than `max_age_s` when it comes) still reaches the
    earlier frames of its time — as if each frame had been built once every reading of its time was in.
    A frame holds each sensor's newest layer no later than the frame and at most `max_age_s` older. With
    `late` off it is a plain `FrameStack` of the fresh layers and remembers none."""

    def __init__(self, frames: int, step: int, static: np.ndarray, max_age_s: float, late: bool = True):
        self.stack = FrameStack(frames, step)
        self.static, self.max_age_s, self.late = static, max_age_s, late
        self._held: deque[tuple[float, dict[str, Layer]]] = deque(maxlen=(frames - 1) * step + 1)
        self._seen: dict[str, float] = {}  # sensor id → time of its layer last pushed

    def push(self, t: float, layers: Mapping[str, Layer]) -> None:
        """The frame at t from each sensor's latest layer (sensor id → layer), the stale left out; with
        `late`, a layer new since the last push and already stale goes into the earlier frames instead."""
        if self.late:
            for sid, layer in layers.items():
                if self._seen.get(sid) != layer[0]:
                    self._seen[sid] = layer[0]
                    if t - layer[0] > self.max_age_s:
                        self.insert_late(sid, layer)
        fresh = fresh_layers(layers, t, self.max_age_s)
        self.stack.push(layers_frame(fresh, self.static))
        if self.late:
            self._held.append((t, fresh))

    def insert_late(self, sensor_id: str, layer: Layer) -> int:
        """Put a late layer into every held frame it belongs to (its time at or before the frame's, at most
        `max_age_s` before, and newer than the frame's layer of that sensor); how many frames changed."""
        t0, changed = layer[0], 0
        for k, (tf, held) in enumerate(self._held):
            if t0 <= tf and tf - t0 <= self.max_age_s and (sensor_id not in held or held[sensor_id][0] < t0):
                held[sensor_id] = layer
                self.stack.revise(k, layers_frame(held, self.static))
                changed += 1
        return changed

    def stacked(self) -> np.ndarray:
        return self.stack.stacked()

    def stacked_keys(self) -> tuple[int, ...]:
        return self.stack.stacked_keys()

    def __len__(self) -> int:
        return len(self.stack)
