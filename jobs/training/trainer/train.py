"""The trainer behind `reelstream train`: reads the exported examples, trains the two-tower
retrieval model and/or the MMoE ranker on CPU, and writes each as ONNX with a manifest.

    python jobs/training/trainer/train.py --examples DIR --out DIR [--epochs N] [--model both]

Deterministic: the same data, code, configuration and seed (default 19) give the same weights
(one process, two threads, deterministic kernels, batches shuffled by a seeded generator).
The last stdout line is a JSON summary; everything before it is progress.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

import calibration as cal
import examples as ex
from export import export_onnx, input_spec, output_spec, write_json
from fit import auc, fit_mmoe, fit_two_tower, labels, predict_mmoe
from mmoe import BINARY, MMoE, TASK_KINDS, output_name
from reliability import write_reliability_png
from two_tower import ItemTower, TwoTower, UserTower

CODE_FILES = [
    "train.py",
    "examples.py",
    "two_tower.py",
    "mmoe.py",
    "fit.py",
    "export.py",
    "calibration.py",
    "reliability.py",
]
# Rows in reference.json: enough to catch a wrong axis, small enough to read.
REFERENCE_ROWS = 4


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=Path, required=True, help="folder of the Arrow files")
    p.add_argument("--out", type=Path, required=True, help="folder for the models")
    p.add_argument("--model", choices=["two-tower", "mmoe", "both"], default="both")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=19)
    p.add_argument("--dim", type=int, default=32, help="embedding dimension")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--experts", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--learning-rate", type=float, default=0.003)
    p.add_argument("--temperature", type=float, default=0.05)
    p.add_argument("--history", type=int, default=20, help="recent items in the user tower")
    p.add_argument("--max-categories", type=int, default=64)
    p.add_argument("--validation-fraction", type=float, default=0.1)
    p.add_argument(
        "--test-fraction",
        type=float,
        default=0.0,
        help="last share of the examples by time held out as the test window (MMoE's report)",
    )
    p.add_argument(
        "--sampled-negatives",
        type=int,
        default=0,
        help="MMoE on examples without impressions (MovieLens): each example a click, and this "
        "many items drawn from the catalogue beside it as non-clicks (examples.py)",
    )
    p.add_argument("--threads", type=int, default=2)
    return p.parse_args(argv)


def log(line: str) -> None:
    print(line, flush=True)


def iso(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc).isoformat()


def model_version(files: list[Path], config: dict) -> str:
    """Hash of the data files, the trainer's code and the configuration: the same three give the
    same version, and a change to any gives another."""
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(hashlib.sha256(f.read_bytes()).digest())
    here = Path(__file__).parent
    for name in CODE_FILES:
        h.update((here / name).read_bytes())
    h.update(json.dumps(config, sort_keys=True).encode())
    return h.hexdigest()[:16]


def finite(value: object) -> object:
    """JSON has no NaN: an undefined metric (AUC of one class) is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    return value


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    # Reproducible on CPU: fixed seeds, fixed threads, kernels that are deterministic.
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    config = {k: v for k, v in vars(args).items() if k not in ("examples", "out", "threads")}

    files = ex.data_files(args.examples)
    table = ex.read_table(args.examples)
    train_table, validation_table, test_table, cutoff, test_cutoff = ex.time_split3(
        table, args.validation_fraction, args.test_fraction
    )
    if train_table.num_rows == 0:  # every example at one time: nothing to hold out
        train_table, validation_table = table, table.slice(0, 0)
        test_table = table.slice(0, 0)
    vocab = ex.build_vocabulary(train_table, args.max_categories)
    train = ex.encode(train_table, vocab, args.history, 50)
    validation = ex.encode(validation_table, vocab, args.history, 50)
    test = ex.encode(test_table, vocab, args.history, 50)
    times = np.concatenate([train.time_ms, validation.time_ms, test.time_ms])
    window = {
        "from": iso(int(times.min())),
        "to": iso(int(times.max())),
        "validationFrom": iso(cutoff) if len(validation) else None,
        "trainingExamples": len(train),
        "validationExamples": len(validation),
    }
    if len(test):
        window.update({"testFrom": iso(test_cutoff), "testExamples": len(test)})
    log(
        f"{len(table)} examples from {len(files)} files ({window['from']} .. {window['to']}): "
        f"{len(train)} for training, {len(validation)} held out from {window['validationFrom']}"
        + (f", {len(test)} for the test window from {window['testFrom']}" if len(test) else "")
        + f"; {len(vocab.users)} users, {len(vocab.items)} items, {len(vocab.categories)} categories"
    )
    version = model_version(files, config)
    common = {
        "version": version,
        "seed": args.seed,
        "config": config,
        "dataWindow": window,
        "userDenseFeatures": ex.user_dense_names(vocab),
        "itemDenseFeatures": ex.ITEM_DENSE,
        "vocabulary": "vocabulary.json: index i + 1 is the i-th id; index 0 is unknown (and padding)",
        "torch": torch.__version__,
        "opset": 13,
    }
    summary: dict = {"version": version, "models": {}}
    rng = np.random.default_rng(args.seed)
    if args.model in ("two-tower", "both"):
        summary["models"]["two-tower"] = train_two_tower(args, vocab, train, validation, common, rng)
    if args.model in ("mmoe", "both"):
        splits = (train, validation, test)
        if args.sampled_negatives > 0:
            since = ex.first_seen(train, len(vocab.items))
            item_dense = ex.item_features(train, len(vocab.items))
            splits = tuple(
                ex.with_sampled_negatives(part, args.sampled_negatives, since, item_dense, rng)
                for part in splits
            )
            log(
                f"mmoe: {args.sampled_negatives} sampled non-clicks per example: "
                f"{len(splits[0])} training rows ({int(np.sum(splits[0].click == 0))} sampled)"
            )
        summary["models"]["mmoe"] = train_mmoe(args, vocab, splits, common, rng)
    summary["trainingSeconds"] = round(time.monotonic() - started, 1)
    log(json.dumps(finite(summary)))
    return 0


def positives(data: ex.Encoded) -> ex.Encoded:
    """The rows two-tower learns to retrieve: liked (rating 4-5), or every row when the data has
    no such label."""
    known = ~np.isnan(data.positive)
    if not known.any():
        return data
    return data.take(np.nonzero(data.positive == 1)[0])


def sample_inputs(data: ex.Encoded, names: list[str]) -> dict[str, torch.Tensor]:
    rows = np.arange(min(REFERENCE_ROWS, len(data)))
    b = data.take(rows)
    return {n: torch.from_numpy(np.ascontiguousarray(getattr(b, n))) for n in names}


def train_two_tower(args, vocab, train, validation, common, rng) -> dict:
    started = time.monotonic()
    model = TwoTower(
        n_users=len(vocab.users),
        n_items=len(vocab.items),
        user_dense=train.user_dense.shape[1],
        item_dense=train.item_dense.shape[1],
        dim=args.dim,
        hidden=args.hidden,
    )
    item_dense = ex.item_features(train, len(vocab.items))
    fit_config = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "temperature": args.temperature,
        "recall_k": [10, 100],
    }
    pos_train, pos_validation = positives(train), positives(validation)
    log(f"two-tower: {len(pos_train)} training positives, {len(pos_validation)} held out")
    metrics = fit_two_tower(model, pos_train, pos_validation, item_dense, fit_config, rng, log)
    seconds = time.monotonic() - started
    out = args.out / "two-tower"
    out.mkdir(parents=True, exist_ok=True)
    sample = pos_validation if len(pos_validation) else pos_train
    towers = []
    for tower, names, output, file in (
        (UserTower(model), ["user", "history", "user_dense"], "user_vector", "user_tower.onnx"),
        (ItemTower(model), ["item", "item_dense"], "item_vector", "item_tower.onnx"),
    ):
        inputs = sample_inputs(sample, names)
        ref = export_onnx(tower, inputs, [output], out / file)
        towers.append((ref, [input_spec(n, x) for n, x in inputs.items()]))
    manifest = {
        "model": "two-tower",
        **common,
        "embeddingDimension": args.dim,
        "towers": [
            {"file": ref["file"], "inputs": spec, "outputs": [output_spec(n, ref) for n in ref["outputs"]]}
            for ref, spec in towers
        ],
        "score": "dot product of user_vector and item_vector (both L2-normalised): cosine",
        "metrics": finite(metrics),
        "trainingSeconds": round(seconds, 1),
    }
    write_json(out / "manifest.json", manifest)
    write_json(out / "vocabulary.json", vocab.to_json())
    write_json(out / "reference.json", {"models": [ref for ref, _ in towers]})
    log(f"two-tower: {seconds:.1f} s; written to {out}")
    return {"dir": str(out), "metrics": finite(metrics), "trainingSeconds": round(seconds, 1)}


def train_mmoe(args, vocab, splits, common, rng) -> dict:
    train, validation, test = splits
    started = time.monotonic()
    # Only the tasks the data has a label for: MovieLens replays have no clicks of their own.
    tasks = [task for task in TASK_KINDS if (~np.isnan(labels(train, task))).any()]
    model = MMoE(
        n_users=len(vocab.users),
        n_items=len(vocab.items),
        user_dense=train.user_dense.shape[1],
        item_dense=train.item_dense.shape[1],
        dim=args.dim,
        hidden=args.hidden,
        experts=args.experts,
        tasks=tasks,
    )
    fit_config = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
    }
    log(f"mmoe: tasks {', '.join(tasks)}; {len(train)} training rows, {len(validation)} held out")
    metrics = fit_mmoe(model, train, validation, fit_config, rng, log)
    seconds = time.monotonic() - started
    out = args.out / "mmoe"
    out.mkdir(parents=True, exist_ok=True)
    calibrations, selection = calibrate(model, validation)
    evaluation = evaluate_test(model, test, calibrations, out)
    sample = validation if len(validation) else train
    inputs = sample_inputs(
        sample, ["user", "history", "user_dense", "item", "item_dense", "position"]
    )
    outputs = [output_name(task) for task in tasks]
    ref = export_onnx(model, inputs, outputs, out / "mmoe.onnx")
    manifest = {
        "model": "mmoe",
        **common,
        "embeddingDimension": args.dim,
        "file": ref["file"],
        "inputs": [input_spec(n, x) for n, x in inputs.items()],
        "outputs": [output_spec(n, ref) for n in outputs],
        "tasks": {
            "click": "clicked within the feedback window (binary)",
            "watch_seconds": "seconds watched within the feedback window, 0 when not watched (regression)",
            "positive": "rating >= 4 (stands in for a click: MovieLens replays have none)",
            "rating": "the stars, 1-5 (regression)",
            "completion": "watched >= 90 % of the video's duration",
        },
        "experts": args.experts,
        "position": "input `position`: the list position; trained with the position shown at, "
        "serve with 0 (position bias as a per-task term outside the experts: mmoe.py)",
        "calibration": calibrations,
        "calibrationSelection": selection,
        "positionLogitOffsets": position_offsets(model),
        "metrics": finite(metrics),
        "evaluation": finite(evaluation),
        "trainingSeconds": round(seconds, 1),
    }
    manifest["tasks"] = {k: v for k, v in manifest["tasks"].items() if k in tasks}
    write_json(out / "manifest.json", manifest)
    write_json(out / "vocabulary.json", vocab.to_json())
    write_json(out / "reference.json", {"models": [ref]})
    log(f"mmoe: {seconds:.1f} s; written to {out}")
    return {
        "dir": str(out),
        "metrics": finite(metrics),
        "evaluation": finite(evaluation),
        "calibration": {k: v["method"] for k, v in calibrations.items()},
        "trainingSeconds": round(seconds, 1),
    }


def position_offsets(model: MMoE) -> dict:
    """Per binary output, what showing at position k adds to the logit against position 0
    (index k; the last entry stands for every later position): a prediction served at 0 turns
    into the one at the shown position as sigmoid(logit(p) + offset[k]), before calibration.
    For logging a prediction comparable with the clicks at that position (the drift monitor)."""
    weights = model.position_bias.weight.detach().numpy().astype(np.float64)
    return {
        output_name(task): [round(float(w - weights[0, k]), 6) for w in weights[:, k]]
        for k, task in enumerate(model.tasks)
        if TASK_KINDS[task] == BINARY
    }


def calibrate(model: MMoE, validation: ex.Encoded) -> tuple[dict, dict]:
    """Per binary task with labels in the validation window: the calibration of its output
    (calibration.py: Platt or isotonic, chosen on the window's second half), keyed by output
    name as serving reads it. Fitted on the predictions at the positions the examples were shown
    at, which is what their labels answer."""
    if len(validation) == 0:
        return {}, {}
    predicted = predict_mmoe(model, validation)
    calibrations, selection = {}, {}
    for task in model.tasks:
        y = labels(validation, task)
        known = ~np.isnan(y)
        if TASK_KINDS[task] != BINARY or known.sum() < 2 or len(np.unique(y[known])) < 2:
            continue
        chosen, how = cal.fit_calibration(predicted[task][known], y[known], validation.time_ms[known])
        calibrations[output_name(task)] = chosen
        selection[output_name(task)] = how
        log(
            f"mmoe: calibration of {output_name(task)}: {chosen['method']} "
            f"(log-loss on the validation window's second half: "
            + ", ".join(f"{k} {v:.5f}" for k, v in how["secondHalfLogLoss"].items())
            + ")"
        )
    return calibrations, selection


def evaluate_test(model: MMoE, test: ex.Encoded, calibrations: dict, out: Path) -> dict:
    """The test window's report: per binary task PR-AUC, ROC AUC, log-loss and ECE (15
    equal-width bins) before and after calibration, with a reliability diagram PNG; per
    regression RMSE. Nothing here feeds back into the model or its calibration."""
    if len(test) == 0:
        return {}
    predicted = predict_mmoe(model, test)
    at_top = predict_mmoe(model, test, fixed_position=0)
    report: dict = {"testExamples": len(test), "eceBins": cal.ECE_BINS}
    for task in model.tasks:
        y = labels(test, task)
        known = ~np.isnan(y)
        if not known.any():
            continue
        p, y = predicted[task][known], y[known]
        if TASK_KINDS[task] != BINARY:
            report[f"{task}:rmse"] = float(np.sqrt(np.mean((p - y) ** 2)))
            report[f"{task}:rmseMeanBaseline"] = float(np.std(y))
            continue
        name = output_name(task)
        calibrated = cal.apply(calibrations[name], p) if name in calibrations else p
        report[f"{task}:rate"] = float(y.mean())
        report[f"{task}:prAuc"] = cal.pr_auc(y, p)
        report[f"{task}:prAucAtPosition0"] = cal.pr_auc(y, at_top[task][known])
        report[f"{task}:auc"] = auc(y, p)
        report[f"{task}:meanPredicted"] = float(p.mean())
        report[f"{task}:meanCalibrated"] = float(calibrated.mean())
        report[f"{task}:logLoss"] = cal.log_loss(p, y)
        report[f"{task}:logLossCalibrated"] = cal.log_loss(calibrated, y)
        ece = {"before": cal.ece(p, y), "after": cal.ece(calibrated, y)}
        report[f"{task}:ece"] = ece["before"]
        report[f"{task}:eceCalibrated"] = ece["after"]
        png = out / f"reliability-{task}.png"
        why_not = write_reliability_png(
            png, name, cal.reliability_bins(p, y), cal.reliability_bins(calibrated, y), ece
        )
        report[f"{task}:reliability"] = str(png) if why_not is None else f"not written: {why_not}"
    return report


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
