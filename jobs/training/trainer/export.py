"""Writes a trained model as ONNX, with its manifest and a reference of inputs and PyTorch's
outputs (for checking the ONNX file in ONNX Runtime: jobs/training/trainer.integration.test.ts)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from torch import nn

# torch 1.13's exporter warns about the shape of every constant it folds; the graph is right (the
# test compares it with PyTorch), and the warnings would bury the progress lines.
warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")

# ONNX opset of the TorchScript exporter (torch 1.13 goes up to 17; 13 is read everywhere).
OPSET = 13


def input_spec(name: str, tensor: torch.Tensor) -> dict:
    """Name, element type and shape, the batch axis named "batch" (dynamic)."""
    dtype = {torch.int64: "int64", torch.float32: "float32"}[tensor.dtype]
    return {"name": name, "dtype": dtype, "shape": ["batch", *tensor.shape[1:]]}


def export_onnx(
    module: nn.Module,
    inputs: dict[str, torch.Tensor],
    outputs: list[str],
    path: Path,
) -> dict:
    """Exports `module` (called with `inputs` in order) and returns its reference: the inputs
    and PyTorch's outputs on them, as plain lists."""
    module.eval()
    args = tuple(inputs.values())
    dynamic = {name: {0: "batch"} for name in [*inputs, *outputs]}
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=list(inputs),
            output_names=outputs,
            dynamic_axes=dynamic,
            opset_version=OPSET,
            do_constant_folding=True,
        )
        result = module(*args)
    results = result if isinstance(result, tuple) else (result,)
    return {
        "file": path.name,
        "inputs": {name: tensor_json(x) for name, x in inputs.items()},
        "outputs": {name: tensor_json(y) for name, y in zip(outputs, results)},
    }


def tensor_json(x: torch.Tensor) -> dict:
    # float32 values widen exactly to Python floats, so the JSON holds PyTorch's numbers.
    return {
        "dtype": {torch.int64: "int64", torch.float32: "float32"}[x.dtype],
        "shape": list(x.shape),
        "data": x.reshape(-1).tolist(),
    }


def output_spec(name: str, reference: dict) -> dict:
    shape = reference["outputs"][name]["shape"]
    return {"name": name, "dtype": "float32", "shape": ["batch", *shape[1:]]}


def write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=False) + "\n")
