"""Reads the exported training examples (Arrow IPC files, docs/training.md) into arrays.

Everything the models see is encoded here, once, so the two models, the validation metrics and
the ONNX reference inputs all use the same encoding, and the manifest can describe it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

# Columns read; the rest of the export (negatives, creator affinity...) is not used yet.
COLUMNS = [
    "userId",
    "videoId",
    "position",
    "exampleTime",
    "watchedMs",
    "videoDurationMs",
    "rating",
    "positive",
    "hasFeatures",
    "watchCount",
    "averageWatchRatio",
    "lastWatchedVideoIds",
    "categoryIds",
    "categoryScores",
]
# Columns of later export versions, read as all-null from files written before them:
# `clicked` (version 2, the feedback window's label).
OPTIONAL_COLUMNS = {"clicked": pa.bool_()}

# Dense user/context features before the category affinities, in column order.
BASE_USER_DENSE = [
    "log1p_watch_count",
    "average_watch_ratio",
    "has_features",
    "hour_sin",
    "hour_cos",
    "weekday_sin",
    "weekday_cos",
]
ITEM_DENSE = ["log1p_duration_s"]


@dataclass(frozen=True)
class Vocabulary:
    """Ids to indices. Index 0 is "unknown" (and padding for history): ids first seen after the
    training window, or in serving, map there."""

    users: list[str]
    items: list[str]
    categories: list[str]

    def user_index(self) -> dict[str, int]:
        return {u: i + 1 for i, u in enumerate(self.users)}

    def item_index(self) -> dict[str, int]:
        return {v: i + 1 for i, v in enumerate(self.items)}

    def to_json(self) -> dict[str, list[str]]:
        # Position i holds the id of index i + 1.
        return {"users": self.users, "items": self.items, "categories": self.categories}


@dataclass(frozen=True)
class Encoded:
    """One row per example, every array aligned and in example-time order."""

    time_ms: np.ndarray  # int64
    user: np.ndarray  # int64 user index
    item: np.ndarray  # int64 item index
    history: np.ndarray  # int64 [n, history_length], most recent first, 0 = none
    seen: np.ndarray  # int64 [n, seen_length]: every watched item the features list
    user_dense: np.ndarray  # float32 [n, len(user_dense_names)]
    item_dense: np.ndarray  # float32 [n, len(ITEM_DENSE)]
    position: np.ndarray  # int64 list position the example was shown at
    positive: np.ndarray  # float32, NaN when unknown
    rating: np.ndarray  # float32, NaN when unknown
    completion: np.ndarray  # float32, NaN when unknown
    click: np.ndarray  # float32, NaN when unknown (no feedback window)
    watch_seconds: np.ndarray  # float32, 0 when not watched; NaN without a feedback window
    watched_seconds: np.ndarray  # float32, what the example's watch lasted (0 without one)

    def __len__(self) -> int:
        return int(self.time_ms.shape[0])

    def take(self, rows: np.ndarray) -> "Encoded":
        return Encoded(**{k: v[rows] for k, v in self.__dict__.items()})


def read_table(examples_dir: Path) -> pa.Table:
    files = sorted(examples_dir.glob("*.arrow"))
    if not files:
        raise SystemExit(f"no .arrow files in {examples_dir} (run reelstream export-examples)")
    dataset = ds.dataset([str(f) for f in files], format="arrow")
    present = set(dataset.schema.names)
    table = dataset.to_table(columns=COLUMNS + [c for c in OPTIONAL_COLUMNS if c in present])
    for name, dtype in OPTIONAL_COLUMNS.items():
        if name not in present:
            table = table.append_column(name, pa.nulls(table.num_rows, dtype))
    # A fixed row order whatever order the files are listed in: the same data gives the same model.
    order = pc.sort_indices(
        table,
        sort_keys=[("exampleTime", "ascending"), ("userId", "ascending"), ("videoId", "ascending")],
    )
    return table.take(order)


def data_files(examples_dir: Path) -> list[Path]:
    return sorted(examples_dir.glob("*.arrow"))


def build_vocabulary(table: pa.Table, max_categories: int) -> Vocabulary:
    """From the training rows only, sorted, so the indices depend on the data alone."""
    users = sorted(set(table.column("userId").to_pylist()))
    items = set(table.column("videoId").to_pylist())
    items.update(pc.list_flatten(table.column("lastWatchedVideoIds")).to_pylist())
    categories = pc.list_flatten(table.column("categoryIds")).to_pylist()
    counts: dict[str, int] = {}
    for c in categories:
        counts[c] = counts.get(c, 0) + 1
    # The most frequent categories (ties by id); the affinity vector has one slot each.
    top = sorted(counts, key=lambda c: (-counts[c], c))[:max_categories]
    return Vocabulary(users=users, items=sorted(items), categories=sorted(top))


def user_dense_names(vocab: Vocabulary) -> list[str]:
    return BASE_USER_DENSE + [f"category_affinity:{c}" for c in vocab.categories]


def _padded(lists: list[list[str] | None], index: dict[str, int], length: int) -> np.ndarray:
    out = np.zeros((len(lists), length), dtype=np.int64)
    for row, ids in enumerate(lists):
        if not ids:
            continue
        # Unknown ids are dropped rather than kept as 0, so they do not take a slot.
        known = [index[i] for i in ids if i in index][:length]
        out[row, : len(known)] = known
    return out


def _float_or_nan(values: list[object]) -> np.ndarray:
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float32)


def encode(table: pa.Table, vocab: Vocabulary, history_length: int, seen_length: int) -> Encoded:
    users, items = vocab.user_index(), vocab.item_index()
    n = table.num_rows
    time_ms = pc.cast(table.column("exampleTime"), pa.int64()).to_numpy()
    # Context: the hour and weekday of the example (UTC), as points on a circle.
    hours = (time_ms // 3_600_000) % 24
    weekdays = (time_ms // 86_400_000 + 4) % 7  # 1970-01-01 was a Thursday (4)
    has = np.array(table.column("hasFeatures").to_pylist(), dtype=np.float32)
    watch_count = _float_or_nan(table.column("watchCount").to_pylist())
    average_ratio = _float_or_nan(table.column("averageWatchRatio").to_pylist())
    base = np.stack(
        [
            np.log1p(np.nan_to_num(watch_count)),
            np.nan_to_num(average_ratio),
            has,
            np.sin(2 * np.pi * hours / 24),
            np.cos(2 * np.pi * hours / 24),
            np.sin(2 * np.pi * weekdays / 7),
            np.cos(2 * np.pi * weekdays / 7),
        ],
        axis=1,
    ).astype(np.float32)
    slot = {c: i for i, c in enumerate(vocab.categories)}
    affinity = np.zeros((n, len(vocab.categories)), dtype=np.float32)
    for row, (ids, scores) in enumerate(
        zip(table.column("categoryIds").to_pylist(), table.column("categoryScores").to_pylist())
    ):
        for c, s in zip(ids or [], scores or []):
            if c in slot:
                affinity[row, slot[c]] = s
    watched = table.column("lastWatchedVideoIds").to_pylist()
    duration = pc.cast(table.column("videoDurationMs"), pa.float64()).to_numpy(zero_copy_only=False)
    watched_ms = pc.cast(table.column("watchedMs"), pa.float64()).to_numpy(zero_copy_only=False)
    rating = _float_or_nan(table.column("rating").to_pylist())
    positive = _float_or_nan(table.column("positive").to_pylist())
    # Completion: watched at least 90 % of a video of known length.
    completion = np.where(duration > 0, (watched_ms >= 0.9 * duration).astype(np.float32), np.nan)
    # With a feedback window every impression is labelled: a click or not, and the watch time
    # (0 when not watched, a final label since the window closed). Without one neither exists.
    click = _float_or_nan(table.column("clicked").to_pylist())
    watch_seconds = np.where(np.isnan(click), np.nan, watched_ms / 1000.0).astype(np.float32)
    return Encoded(
        time_ms=time_ms.astype(np.int64),
        user=np.array([users.get(u, 0) for u in table.column("userId").to_pylist()], dtype=np.int64),
        item=np.array([items.get(v, 0) for v in table.column("videoId").to_pylist()], dtype=np.int64),
        history=_padded(watched, items, history_length),
        seen=_padded(watched, items, seen_length),
        user_dense=np.concatenate([base, affinity], axis=1),
        item_dense=(np.log1p(np.maximum(duration, 0) / 1000.0) / 5.0).astype(np.float32)[:, None],
        position=pc.cast(table.column("position"), pa.int64()).to_numpy().astype(np.int64),
        positive=positive,
        rating=rating,
        completion=completion.astype(np.float32),
        click=click,
        watch_seconds=watch_seconds,
        watched_seconds=(np.maximum(watched_ms, 0) / 1000.0).astype(np.float32),
    )


def item_features(data: Encoded, n_items: int) -> np.ndarray:
    """Each item's dense features for scoring the whole catalogue: the last example's (its
    duration); zeros for items only ever seen in histories."""
    out = np.zeros((n_items + 1, len(ITEM_DENSE)), dtype=np.float32)
    out[data.item] = data.item_dense
    return out


def first_seen(data: Encoded, n_items: int) -> np.ndarray:
    """Per item index, the time of its first example (int64 max for items with none): when it
    is known to have been in the catalogue."""
    out = np.full(n_items + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, data.item, data.time_ms)
    out[0] = np.iinfo(np.int64).max  # "unknown" is never drawn
    return out


def with_sampled_negatives(
    data: Encoded,
    per_example: int,
    catalogue_since: np.ndarray,
    item_dense: np.ndarray,
    rng: np.random.Generator,
) -> Encoded:
    """Implicit feedback for examples without impressions (a MovieLens replay: every example is
    a rated movie, none a movie shown and passed over). Each example becomes a click (click 1,
    `watch_seconds` what was watched), and `per_example` items drawn beside it become
    non-clicks (click 0, watch 0; the rating tasks unknown): the same user, features, position
    and time, an item drawn uniformly from those in the catalogue by then
    (`catalogue_since < time`, from `first_seen` of the training rows) that is neither the
    example's item nor one the user's features list as watched. The ranker then learns the
    tasks the served objective is written in (click probability and expected watch time)
    instead of stand-ins that only order movies the user already chose. Rows stay in time order.
    """
    if per_example <= 0 or len(data) == 0:
        return data
    if (~np.isnan(data.click)).any():
        raise SystemExit("--sampled-negatives: these examples have clicks of their own (a feedback window)")
    order = np.argsort(catalogue_since, kind="stable")
    since_sorted = catalogue_since[order]
    available = np.searchsorted(since_sorted, data.time_ms, side="left")
    rows = np.repeat(np.arange(len(data)), per_example)
    rows = rows[available[rows] > 0]
    drawn = np.zeros(len(rows), dtype=np.int64)
    pending = np.arange(len(rows))
    # Redraw the few that hit the example's own item or a watched one; what still clashes
    # after a few rounds (users who watched nearly everything available) is dropped.
    for _ in range(8):
        if len(pending) == 0:
            break
        picks = (rng.random(len(pending)) * available[rows[pending]]).astype(np.int64)
        drawn[pending] = order[picks]
        r = rows[pending]
        clash = (drawn[pending] == data.item[r]) | (data.seen[r] == drawn[pending][:, None]).any(axis=1)
        pending = pending[clash]
    keep = np.ones(len(rows), dtype=bool)
    keep[pending] = False
    rows, drawn = rows[keep], drawn[keep]
    negatives = data.take(rows)
    unknown = np.full(len(rows), np.nan, dtype=np.float32)
    zero = np.zeros(len(rows), dtype=np.float32)
    negatives = Encoded(
        **{
            **negatives.__dict__,
            "item": drawn,
            "item_dense": item_dense[drawn],
            "positive": unknown,
            "rating": unknown,
            "completion": unknown,
            "click": zero,
            "watch_seconds": zero,
            "watched_seconds": zero,
        }
    )
    clicks = Encoded(
        **{
            **data.__dict__,
            "click": np.ones(len(data), dtype=np.float32),
            "watch_seconds": data.watched_seconds,
        }
    )
    merged = Encoded(
        **{k: np.concatenate([getattr(clicks, k), getattr(negatives, k)]) for k in data.__dict__}
    )
    return merged.take(np.argsort(merged.time_ms, kind="stable"))


def time_split3(
    table: pa.Table, validation_fraction: float, test_fraction: float
) -> tuple[pa.Table, pa.Table, pa.Table, int, int]:
    """Training, validation and test rows by example time: the test window is the last
    `test_fraction` (at or after its cut-off), validation the `validation_fraction` before it.
    Calibration is fitted on validation; the test window is only ever measured."""
    rest, test, test_cutoff = time_split(table, test_fraction)
    if rest.num_rows == 0:
        rest, test = table, table.slice(0, 0)
    inner = validation_fraction / (1 - test_fraction) if test_fraction < 1 else 0.0
    train, validation, validation_cutoff = time_split(rest, inner)
    return train, validation, test, validation_cutoff, test_cutoff


def time_split(table: pa.Table, validation_fraction: float) -> tuple[pa.Table, pa.Table, int]:
    """Training rows before the cut-off, validation rows at or after it: the last
    `validation_fraction` of the examples by time, so the model is checked on the future."""
    times = pc.cast(table.column("exampleTime"), pa.int64()).to_numpy()
    if validation_fraction <= 0 or table.num_rows < 2:
        return table, table.slice(0, 0), int(times[-1]) + 1 if len(times) else 0
    cutoff = int(times[min(len(times) - 1, int(len(times) * (1 - validation_fraction)))])
    train_rows = int(np.searchsorted(times, cutoff, side="left"))
    return table.slice(0, train_rows), table.slice(train_rows), cutoff
