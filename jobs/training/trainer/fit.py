"""Training loops and validation metrics of the two models. Progress goes to stdout, one line
per epoch, flushed, for `reelstream train` to stream."""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from examples import Encoded
from mmoe import BINARY, REGRESSION_SCALE, MMoE, TASK_KINDS
from two_tower import TwoTower, in_batch_softmax_loss

Log = Callable[[str], None]


def t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


def batches(n: int, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    order = rng.permutation(n)
    return [order[i : i + size] for i in range(0, n, size)]


# ---- two-tower ----


def log_sampling_probability(train: Encoded, n_items: int) -> torch.Tensor:
    """log q per item: its share of the positives the batches are drawn from (uniformly), so
    the probability it lands in a batch. Items never a positive get the smallest count (1)."""
    counts = np.bincount(train.item, minlength=n_items + 1).astype(np.float64)
    counts = np.maximum(counts, 1.0)
    return t(np.log(counts / counts.sum()).astype(np.float32))


def fit_two_tower(
    model: TwoTower,
    train: Encoded,
    validation: Encoded,
    item_dense: np.ndarray,
    config: dict,
    rng: np.random.Generator,
    log: Log,
) -> dict:
    """`train` and `validation` hold positives only: each row is a (user, item) pair to retrieve."""
    n_items = model.item_embedding.num_embeddings - 1
    log_q = log_sampling_probability(train, n_items)
    optimiser = torch.optim.Adam(model.parameters(), lr=config["learning_rate"])
    metrics: dict = {}
    for epoch in range(1, config["epochs"] + 1):
        started = time.monotonic()
        model.train()
        total, count = 0.0, 0
        for rows in batches(len(train), config["batch_size"], rng):
            if len(rows) < 2:
                continue  # a softmax over one item teaches nothing
            b = train.take(rows)
            users = model.user_vector(t(b.user), t(b.history), t(b.user_dense))
            items = model.item_vector(t(b.item), t(b.item_dense))
            loss = in_batch_softmax_loss(users, items, t(b.item), log_q, config["temperature"])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss) * len(rows)
            count += len(rows)
        metrics = {"trainLoss": total / max(count, 1)}
        metrics.update(recall_at_k(model, train, validation, item_dense, config["recall_k"]))
        shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float))
        log(f"two-tower epoch {epoch}/{config['epochs']}: {shown} ({time.monotonic() - started:.1f} s)")
    return metrics


@torch.no_grad()
def recall_at_k(
    model: TwoTower,
    train: Encoded,
    validation: Encoded,
    item_dense: np.ndarray,
    ks: list[int],
) -> dict:
    """Recall@K on the time-held-out positives: the share whose item is in the user's top K of
    the whole catalogue, items the user's features list as watched left out (they are not
    recommended again). Most-popular (training positives' counts) beside it, ranked the same way."""
    if len(validation) == 0:
        return {}
    model.eval()
    n_items = model.item_embedding.num_embeddings - 1
    catalogue = model.item_vector(t(np.arange(n_items + 1)), t(item_dense))
    popularity = torch.from_numpy(np.bincount(train.item, minlength=n_items + 1).astype(np.float32))
    hits = {k: 0 for k in ks}
    popular_hits = {k: 0 for k in ks}
    for start in range(0, len(validation), 1024):
        b = validation.take(np.arange(start, min(start + 1024, len(validation))))
        users = model.user_vector(t(b.user), t(b.history), t(b.user_dense))
        for scores, hit in ((users @ catalogue.T, hits), (popularity.repeat(len(b), 1), popular_hits)):
            scores[:, 0] = -math.inf  # "unknown" is not an item
            scores.scatter_(1, t(b.seen), -math.inf)  # column 0 again for padding: harmless
            # A catalogue smaller than K: every item is in the top K.
            top = torch.topk(scores, min(max(ks), scores.shape[1]), dim=1).indices
            target = t(b.item).unsqueeze(1)
            for k in ks:
                hit[k] += int(((top[:, :k] == target) & (target != 0)).any(dim=1).sum())
    out: dict = {}
    for k in ks:
        out[f"validationRecall@{k}"] = hits[k] / len(validation)
        out[f"popularityRecall@{k}"] = popular_hits[k] / len(validation)
    out["validationPositives"] = len(validation)
    out["validationUnknownItems"] = int((validation.item == 0).sum())
    return out


# ---- MMoE ----


def labels(data: Encoded, task: str) -> np.ndarray:
    return {
        "click": data.click,
        "watch_seconds": data.watch_seconds,
        "positive": data.positive,
        "rating": data.rating,
        "completion": data.completion,
    }[task]


def mmoe_inputs(model: MMoE, b: Encoded) -> list[torch.Tensor]:
    return [t(b.user), t(b.history), t(b.user_dense), t(b.item), t(b.item_dense), t(b.position)]


def task_losses(model: MMoE, b: Encoded) -> list[tuple[torch.Tensor, int]]:
    """Each task's mean loss over the rows that have its label, with their count."""
    raw = model.logits(*mmoe_inputs(model, b))
    out = []
    for task, r in zip(model.tasks, raw):
        y = t(labels(b, task))
        known = ~torch.isnan(y)
        if not bool(known.any()):
            out.append((torch.zeros(()), 0))
        elif TASK_KINDS[task] == BINARY:
            out.append((F.binary_cross_entropy_with_logits(r[known], y[known]), int(known.sum())))
        else:
            scale = REGRESSION_SCALE[task]
            out.append((F.mse_loss(r[known] / scale, y[known] / scale), int(known.sum())))
    return out


def fit_mmoe(
    model: MMoE, train: Encoded, validation: Encoded, config: dict, rng: np.random.Generator, log: Log
) -> dict:
    optimiser = torch.optim.Adam(model.parameters(), lr=config["learning_rate"])
    metrics: dict = {}
    for epoch in range(1, config["epochs"] + 1):
        started = time.monotonic()
        model.train()
        total, count = 0.0, 0
        for rows in batches(len(train), config["batch_size"], rng):
            losses = task_losses(model, train.take(rows))
            # The tasks' losses summed with equal weights; rating's MSE is on a 1-5 scale,
            # watch time's in minutes.
            loss = sum(l for l, _ in losses)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss) * len(rows)
            count += len(rows)
        metrics = {"trainLoss": total / max(count, 1)}
        metrics.update(evaluate_mmoe(model, validation))
        shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        log(f"mmoe epoch {epoch}/{config['epochs']}: {shown} ({time.monotonic() - started:.1f} s)")
    return metrics


@torch.no_grad()
def evaluate_mmoe(model: MMoE, validation: Encoded) -> dict:
    """Per task on the held-out rows: the loss, and AUC (binary) or RMSE (regression)."""
    if len(validation) == 0:
        return {}
    model.eval()
    outputs = model(*mmoe_inputs(model, validation))
    out: dict = {}
    for task, (loss, n) in zip(model.tasks, task_losses(model, validation)):
        if n == 0:
            continue
        out[f"validationLoss:{task}"] = float(loss)
        y = labels(validation, task)
        known = ~np.isnan(y)
        predicted = outputs[model.tasks.index(task)].numpy()[known]
        if TASK_KINDS[task] == BINARY:
            out[f"validationAuc:{task}"] = auc(y[known], predicted)
        else:
            out[f"validationRmse:{task}"] = float(np.sqrt(np.mean((predicted - y[known]) ** 2)))
    return out


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve by ranks (ties averaged): the chance a positive outranks a negative."""
    positives = int((y == 1).sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score), dtype=np.float64)
    sorted_scores = score[order]
    i = 0
    while i < len(score):
        j = i
        while j + 1 < len(score) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


@torch.no_grad()
def predict_mmoe(model: MMoE, data: Encoded, fixed_position: int | None = None) -> dict[str, np.ndarray]:
    """Each task's served output on `data` (probabilities, values), in 8,192-row batches; with
    `fixed_position` every row as if shown there (serving ranks at position 0)."""
    model.eval()
    parts: dict[str, list[np.ndarray]] = {task: [] for task in model.tasks}
    for start in range(0, len(data), 8192):
        b = data.take(np.arange(start, min(start + 8192, len(data))))
        inputs = mmoe_inputs(model, b)
        if fixed_position is not None:
            inputs[-1] = torch.full_like(inputs[-1], fixed_position)
        for task, y in zip(model.tasks, model(*inputs)):
            parts[task].append(y.numpy().astype(np.float64))
    return {task: np.concatenate(p) if p else np.zeros(0) for task, p in parts.items()}
