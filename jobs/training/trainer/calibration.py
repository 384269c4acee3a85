"""Calibration of the binary tasks' probabilities, fitted on the validation window, and the
metrics that judge it (ECE, log-loss, PR-AUC).

The shipped form is the serving contract (manifest.json `calibration`, read by
jobs/serving/outputCalibration.ts), so `apply` here computes exactly what serving computes:
- platt: p' = sigmoid(a * logit(p) + b), p clamped to [1e-7, 1 - 1e-7] first;
- isotonic: piecewise-linear through (thresholds[i], values[i]), flat outside them.

Which method: both are fitted on the first half of the validation window (by time) and
compared by log-loss on its second half; the winner is refitted on the whole window. Comparing
on the rows a method was fitted on would always pick isotonic (it is the best monotone fit of
those very rows, noise included); the second half is the honest comparison, and still never
touches the test window.
"""

from __future__ import annotations

import math

import numpy as np

EPSILON = 1e-7
# Isotonic values are kept off 0 and 1: a log-loss of a later click on a "never" is infinite.
VALUE_FLOOR = 1e-5
ECE_BINS = 15


def logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p.astype(np.float64), EPSILON, 1 - EPSILON)
    return np.log(q / (1 - q))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def fit_platt(p: np.ndarray, y: np.ndarray) -> dict:
    """Logistic regression of the label on logit(p): a and b by Newton's method (convex, so it
    converges in a few steps), with a tiny ridge so a separable sample stays finite."""
    x = logit(p)
    a, b = 1.0, 0.0
    for _ in range(50):
        q = sigmoid(a * x + b)
        w = q * (1 - q)
        grad = np.array([np.sum((q - y) * x) + 1e-6 * a, np.sum(q - y) + 1e-6 * b])
        hess = np.array(
            [[np.sum(w * x * x) + 1e-6, np.sum(w * x)], [np.sum(w * x), np.sum(w) + 1e-6]]
        )
        step = np.linalg.solve(hess, grad)
        a, b = a - step[0], b - step[1]
        if np.max(np.abs(step)) < 1e-10:
            break
    return {"method": "platt", "a": float(a), "b": float(b)}


def fit_isotonic(p: np.ndarray, y: np.ndarray) -> dict:
    """Pool-adjacent-violators over the predictions sorted ascending: the non-decreasing step
    function closest to the labels. Shipped as two points per block (its lowest and highest
    prediction, both at the block's rate), so serving interpolates linearly between blocks."""
    order = np.argsort(p, kind="mergesort")
    xs, ys = p[order].astype(np.float64), y[order].astype(np.float64)
    # Blocks as (sum of labels, count, lowest x, highest x), merged while they decrease.
    sums: list[float] = []
    counts: list[float] = []
    lows: list[float] = []
    highs: list[float] = []
    for x, label in zip(xs, ys):
        sums.append(label)
        counts.append(1.0)
        lows.append(x)
        highs.append(x)
        while len(sums) > 1 and sums[-2] / counts[-2] >= sums[-1] / counts[-1]:
            s, c, h = sums.pop(), counts.pop(), highs.pop()
            lows.pop()
            sums[-1] += s
            counts[-1] += c
            highs[-1] = h
    thresholds: list[float] = []
    values: list[float] = []
    for s, c, low, high in zip(sums, counts, lows, highs):
        value = min(max(s / c, VALUE_FLOOR), 1 - VALUE_FLOOR)
        for x in (low, high) if high > low else (low,):
            if thresholds and x <= thresholds[-1]:
                continue  # ties across blocks cannot happen (equal x sort together), kept strict
            thresholds.append(float(x))
            values.append(float(value))
    return {"method": "isotonic", "thresholds": thresholds, "values": values}


def apply(calibration: dict, p: np.ndarray) -> np.ndarray:
    """What serving computes (jobs/serving/outputCalibration.ts)."""
    if calibration["method"] == "platt":
        return sigmoid(calibration["a"] * logit(p) + calibration["b"])
    # np.interp is piecewise-linear and flat outside the thresholds, as serving's.
    return np.interp(p.astype(np.float64), calibration["thresholds"], calibration["values"])


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    q = np.clip(p.astype(np.float64), EPSILON, 1 - EPSILON)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def fit_calibration(p: np.ndarray, y: np.ndarray, time_ms: np.ndarray) -> tuple[dict, dict]:
    """The chosen calibration (refitted on all of `p`) and how the choice was made. `p`, `y`,
    `time_ms` are the validation window's predictions, labels and example times."""
    order = np.argsort(time_ms, kind="mergesort")
    half = len(order) // 2
    first, second = order[:half], order[half:]
    candidates = {"platt": fit_platt, "isotonic": fit_isotonic}
    scores = {
        name: log_loss(apply(fit(p[first], y[first]), p[second]), y[second])
        for name, fit in candidates.items()
    }
    scores["uncalibrated"] = log_loss(p[second], y[second])
    chosen = min(("platt", "isotonic"), key=lambda name: scores[name])
    return candidates[chosen](p, y), {
        "secondHalfLogLoss": scores,
        "chosen": chosen,
        "fittedOn": int(len(p)),
    }


def ece(p: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error over `bins` equal-width bins of [0, 1]: the rows' share in
    each bin times the gap between its mean prediction and its label rate, summed."""
    if len(p) == 0:
        return math.nan
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in range(bins):
        rows = index == b
        if rows.any():
            total += rows.sum() / len(p) * abs(float(p[rows].mean()) - float(y[rows].mean()))
    return total


def reliability_bins(p: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> list[dict]:
    """Per non-empty bin: its range, rows, mean prediction and label rate (the diagram's points)."""
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    out = []
    for b in range(bins):
        rows = index == b
        if rows.any():
            out.append(
                {
                    "from": b / bins,
                    "to": (b + 1) / bins,
                    "rows": int(rows.sum()),
                    "predicted": float(p[rows].mean()),
                    "actual": float(y[rows].mean()),
                }
            )
    return out


def pr_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision: the precision at each positive, ranked by score, averaged (the area
    under the precision-recall curve as a step function; ties broken by a stable sort)."""
    positives = int((y == 1).sum())
    if positives == 0:
        return math.nan
    order = np.argsort(-score, kind="mergesort")
    hits = (y[order] == 1).astype(np.float64)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / positives)
