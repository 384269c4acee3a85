"""A tiny two-tower model for the embedding operator's test, written as the trainer writes one:
the trainer's own TwoTower and ItemTower (untrained, seeded weights), exported by its own
export_onnx, with a manifest.json and vocabulary.json of the trainer's format, and PyTorch's
item vectors for the rows the test asks about (reference.json).

    python jobs/embeddings/tinyItemTower.py --out DIR --items v-0,v-1,... --rows ROWS.json

ROWS.json: {"item": [int...], "item_dense": [[float]...]}.
"""

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training" / "trainer"))

from export import export_onnx, input_spec, output_spec, write_json  # noqa: E402
from two_tower import ItemTower, TwoTower  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--items", required=True)
    parser.add_argument("--rows", type=Path, required=True)
    parser.add_argument("--dim", type=int, default=8)
    parser.add_argument("--version", default="tiny-1")
    args = parser.parse_args()
    torch.manual_seed(7)
    items = args.items.split(",")
    model = TwoTower(n_users=3, n_items=len(items), user_dense=2, item_dense=1, dim=args.dim, hidden=16)
    rows = json.loads(args.rows.read_text())
    inputs = {
        "item": torch.tensor(rows["item"], dtype=torch.int64),
        "item_dense": torch.tensor(rows["item_dense"], dtype=torch.float32),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    ref = export_onnx(ItemTower(model), inputs, ["item_vector"], args.out / "item_tower.onnx")
    manifest = {
        "model": "two-tower",
        "version": args.version,
        "embeddingDimension": args.dim,
        "itemDenseFeatures": ["log1p_duration_s"],
        "towers": [
            {
                "file": ref["file"],
                "inputs": [input_spec(n, x) for n, x in inputs.items()],
                "outputs": [output_spec("item_vector", ref)],
            }
        ],
    }
    write_json(args.out / "manifest.json", manifest)
    write_json(args.out / "vocabulary.json", {"users": [], "items": items, "categories": []})
    write_json(args.out / "reference.json", ref)


if __name__ == "__main__":
    main()
