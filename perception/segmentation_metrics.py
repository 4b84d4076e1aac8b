"""Point-wise semantic segmentation scores: confusion matrix, per-class IoU, mIoU over classes present."""

from __future__ import annotations

import numpy as np

from perception.classes import CLASS_NAMES


def confusion(truth: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) counts, rows truth, columns prediction."""
    t = np.asarray(truth, np.int64).ravel()
    p = np.asarray(pred, np.int64).ravel()
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class_iou(conf: np.ndarray) -> dict[int, float]:
    """IoU = TP / (TP + FP + FN) of every class that has truth points (a class absent from the truth has
    no IoU: predicting it anywhere still costs the true class its IoU)."""
    tp = np.diag(conf).astype(float)
    union = conf.sum(0) + conf.sum(1) - tp
    present = conf.sum(1) > 0
    return {int(c): float(tp[c] / union[c]) for c in np.flatnonzero(present)}


def mean_iou(conf: np.ndarray) -> float:
    ious = per_class_iou(conf)
    return float(np.mean(list(ious.values()))) if ious else float("nan")


def segmentation_scores(conf: np.ndarray) -> dict:
    """`{miou, per_class_iou: {name: iou}, points}` of a confusion matrix over the shared classes."""
    ious = per_class_iou(conf)
    return {
        "miou": mean_iou(conf),
        "per_class_iou": {CLASS_NAMES[c]: v for c, v in ious.items()},
        "points": int(conf.sum()),
    }
