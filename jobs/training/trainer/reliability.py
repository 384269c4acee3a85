"""The reliability diagram of a binary task on the test window, before and after calibration,
as a PNG (matplotlib, headless). matplotlib is optional: without it no PNG is written and the
caller says so (deploy/local/setup/trainerDeps.sh installs it)."""

from __future__ import annotations

from pathlib import Path


def write_reliability_png(path: Path, task: str, before: list[dict], after: list[dict], ece: dict) -> str | None:
    """Writes the diagram; returns None when written, else why not. `before`/`after` are
    calibration.reliability_bins outputs; `ece` holds "before" and "after"."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display: a file only
        import matplotlib.pyplot as plt
    except ImportError as error:
        return f"matplotlib is not importable ({error})"
    figure, (curve, counts) = plt.subplots(
        2, 1, figsize=(6, 7.5), gridspec_kw={"height_ratios": [3, 1]}, sharex=True
    )
    curve.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfectly calibrated")
    for bins, label, marker in (
        (before, f"model (ECE {ece['before']:.4f})", "o"),
        (after, f"calibrated (ECE {ece['after']:.4f})", "s"),
    ):
        curve.plot([b["predicted"] for b in bins], [b["actual"] for b in bins], marker=marker, label=label)
    top = max([b["predicted"] for b in before + after] + [b["actual"] for b in before + after] + [0.05])
    limit = min(1.0, top * 1.1)
    curve.set_xlim(0, limit)
    curve.set_ylim(0, limit)
    curve.set_ylabel("observed rate (test window)")
    curve.set_title(f"{task}: reliability on the test window\n(15 equal-width bins of the predicted probability)")
    curve.legend(loc="upper left")
    curve.grid(alpha=0.3)
    width = 1 / 15
    counts.bar([b["from"] for b in before], [b["rows"] for b in before], width=width, align="edge", alpha=0.5, label="model")
    counts.bar([b["from"] for b in after], [b["rows"] for b in after], width=width, align="edge", alpha=0.5, label="calibrated")
    counts.set_yscale("log")
    counts.set_xlabel("predicted probability")
    counts.set_ylabel("rows per bin")
    counts.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return None
