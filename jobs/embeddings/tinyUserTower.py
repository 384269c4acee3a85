"""A tiny two-tower model for the user tower's test, made as the trainer makes one: the
vocabulary built from training examples by the trainer's own `build_vocabulary`, the rows
encoded by its own `encode`, its TwoTower and UserTower/ItemTower (untrained, seeded weights)
exported by its own `export_onnx`, with a manifest.json and vocabulary.json of the trainer's
format. Writes, beside the model, what the test compares with: the trainer's encoding of the
--serve examples (encoded.json) and PyTorch's user vectors for them (reference.json).

    python jobs/embeddings/tinyUserTower.py --examples DIR --serve DIR --out DIR \
        [--history 4] [--max-categories 3] [--dim 8]
"""

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training" / "trainer"))

import examples as ex  # noqa: E402
from export import export_onnx, input_spec, output_spec, write_json  # noqa: E402
from two_tower import ItemTower, TwoTower, UserTower  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=Path, required=True, help="rows the vocabulary is built from")
    parser.add_argument("--serve", type=Path, required=True, help="rows to encode and embed")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--history", type=int, default=4)
    parser.add_argument("--max-categories", type=int, default=3)
    parser.add_argument("--dim", type=int, default=8)
    parser.add_argument("--version", default="tiny-user-1")
    args = parser.parse_args()
    torch.manual_seed(11)
    vocab = ex.build_vocabulary(ex.read_table(args.examples), args.max_categories)
    serve = ex.encode(ex.read_table(args.serve), vocab, args.history, 50)
    names = ex.user_dense_names(vocab)
    model = TwoTower(
        n_users=len(vocab.users),
        n_items=len(vocab.items),
        user_dense=len(names),
        item_dense=len(ex.ITEM_DENSE),
        dim=args.dim,
        hidden=16,
    )
    user_inputs = {
        "user": torch.from_numpy(serve.user),
        "history": torch.from_numpy(serve.history),
        "user_dense": torch.from_numpy(serve.user_dense),
    }
    item_inputs = {
        "item": torch.arange(len(vocab.items) + 1, dtype=torch.int64),
        "item_dense": torch.zeros((len(vocab.items) + 1, len(ex.ITEM_DENSE)), dtype=torch.float32),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    user_ref = export_onnx(UserTower(model), user_inputs, ["user_vector"], args.out / "user_tower.onnx")
    item_ref = export_onnx(ItemTower(model), item_inputs, ["item_vector"], args.out / "item_tower.onnx")
    manifest = {
        "model": "two-tower",
        "version": args.version,
        "config": {"history": args.history, "max_categories": args.max_categories, "dim": args.dim},
        "userDenseFeatures": names,
        "itemDenseFeatures": ex.ITEM_DENSE,
        "embeddingDimension": args.dim,
        "towers": [
            {
                "file": ref["file"],
                "inputs": [input_spec(n, x) for n, x in inputs.items()],
                "outputs": [output_spec(n, ref) for n in ref["outputs"]],
            }
            for ref, inputs in ((user_ref, user_inputs), (item_ref, item_inputs))
        ],
        "score": "dot product of user_vector and item_vector (both L2-normalised): cosine",
    }
    write_json(args.out / "manifest.json", manifest)
    write_json(args.out / "vocabulary.json", vocab.to_json())
    write_json(args.out / "reference.json", {"models": [user_ref, item_ref]})
    write_json(
        args.out / "encoded.json",
        {
            "user": serve.user.tolist(),
            "history": serve.history.tolist(),
            # float32 values widen exactly to Python floats: the trainer's numbers, bit for bit.
            "userDense": serve.user_dense.tolist(),
        },
    )


if __name__ == "__main__":
    main()
