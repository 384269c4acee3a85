"""Checks of calibration.py with known answers, run by jobs/training/calibration.test.ts in
the trainer's environment. Prints one JSON line: calibrations fitted on synthetic data and the
trainer's calibrated values on probe points, for the test to compare with serving's code."""

from __future__ import annotations

import json
import math
import sys

import numpy as np

import calibration as cal


def close(a: float, b: float, tolerance: float, what: str) -> None:
    if not abs(a - b) <= tolerance:
        raise AssertionError(f"{what}: {a} is not within {tolerance} of {b}")


def main() -> int:
    # Pool-adjacent-violators by hand: (0.2, 1) and (0.3, 0) violate and pool at 0.5.
    iso = cal.fit_isotonic(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.0, 1.0, 0.0, 1.0]))
    assert iso["thresholds"] == [0.1, 0.2, 0.3, 0.4], iso
    assert iso["values"] == [cal.VALUE_FLOOR, 0.5, 0.5, 1 - cal.VALUE_FLOOR], iso

    # Platt recovers the distortion that made the labels: y ~ Bernoulli(sigmoid(2 logit(p) - 1)).
    rng = np.random.default_rng(5)
    p = rng.uniform(0.01, 0.6, 200_000)
    y = (rng.uniform(size=p.size) < cal.sigmoid(2 * cal.logit(p) - 1)).astype(np.float64)
    platt = cal.fit_platt(p, y)
    close(platt["a"], 2.0, 0.05, "platt a")
    close(platt["b"], -1.0, 0.05, "platt b")
    # Either calibration brings the ECE of the distorted predictions down to sampling noise.
    before = cal.ece(p, y)
    iso = cal.fit_isotonic(p, y)
    for fitted in (platt, iso):
        after = cal.ece(cal.apply(fitted, p), y)
        assert after < 0.005 < before, (fitted["method"], before, after)
    assert all(b >= a for a, b in zip(iso["values"], iso["values"][1:])), "isotonic is monotone"

    # ECE by hand: bins [0, 1/15) and [14/15, 1]; gaps 0.05 and 0.1, shares 1/2 each.
    close(cal.ece(np.array([0.05, 0.05, 0.95, 0.95]), np.array([0.0, 0.0, 1.0, 1.0])), 0.05, 1e-12, "ece")
    # Average precision by hand: positives at ranks 1 and 3: (1 + 2/3) / 2.
    close(cal.pr_auc(np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.8, 0.7])), 5 / 6, 1e-12, "pr_auc")
    assert math.isnan(cal.pr_auc(np.array([0.0, 0.0]), np.array([0.1, 0.2])))

    # Choosing on the second half: a Platt-shaped distortion on few rows picks Platt or
    # isotonic, and the choice's log-loss is the lower of the two.
    times = np.arange(p.size)
    chosen, how = cal.fit_calibration(p[:4000], y[:4000], times[:4000])
    scores = how["secondHalfLogLoss"]
    assert scores[chosen["method"]] == min(scores["platt"], scores["isotonic"]), how

    probes = [0.0, 1e-9, 0.005, 0.05, 0.1, 0.2, 0.33, 0.5, 0.7, 0.99, 1.0]
    out = {
        "probes": probes,
        "calibrations": [
            {"spec": spec, "values": cal.apply(spec, np.array(probes)).tolist()}
            for spec in (platt, iso, chosen)
        ],
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
