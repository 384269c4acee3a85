"""The two-tower model's inputs for `reelstream evaluate` (jobs/evaluation/twoTower.ts), encoded by
the trainer's own code (jobs/training/trainer/examples.py), so scoring and training cannot differ.

    python twoTowerInputs.py --model DIR --examples DIR --at-cutoff DIR --out FILE

- users: one row per example in --at-cutoff (the virtual examples at the cut-off: each user's
  features as of just before it), encoded as the trainer encodes a training example: the user's
  index in vocabulary.json (0 when unknown), the recent history and the dense user features;
- items: every item of the vocabulary with its dense features as the trainer computes them for
  scoring the catalogue (`item_features` over the training rows).

Writes one JSON object to --out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training" / "trainer"))

import examples as ex  # noqa: E402  (the trainer's encoding)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, required=True, help="the two-tower folder")
    p.add_argument("--examples", type=Path, required=True, help="the training examples")
    p.add_argument("--at-cutoff", type=Path, required=True, help="the virtual examples")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)

    manifest = json.loads((args.model / "manifest.json").read_text())
    config = manifest["config"]
    raw = json.loads((args.model / "vocabulary.json").read_text())
    vocab = ex.Vocabulary(users=raw["users"], items=raw["items"], categories=raw["categories"])
    if ex.user_dense_names(vocab) != manifest["userDenseFeatures"]:
        raise SystemExit("vocabulary.json and manifest.json disagree on the dense user features")

    # The rows the trainer trained on: its own time split of the same files.
    table = ex.read_table(args.examples)
    train_table, _, _ = ex.time_split(table, config["validation_fraction"])
    if train_table.num_rows == 0:
        train_table = table
    train = ex.encode(train_table, vocab, config["history"], 50)
    item_dense = ex.item_features(train, len(vocab.items))

    at_cutoff = ex.read_table(args.at_cutoff)
    users = ex.encode(at_cutoff, vocab, config["history"], 50)
    out = {
        "userIds": at_cutoff.column("userId").to_pylist(),
        "user": users.user.tolist(),
        "history": users.history.tolist(),
        "userDense": users.user_dense.tolist(),
        "items": vocab.items,
        # Row i + 1 is item i of the vocabulary; row 0 is "unknown".
        "itemDense": item_dense.tolist(),
    }
    args.out.write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
