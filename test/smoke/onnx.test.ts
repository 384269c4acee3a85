import assert from 'node:assert/strict';
import { test } from 'node:test';

import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

// onnx-proto is CommonJS; its namespace is a property of the default export.
const { onnx } = onnxProto;

/** A one-layer scorer, sigmoid(x · W + b), written as an ONNX graph by hand. */
function buildModel(weights: number[][], bias: number[]): Uint8Array {
  const inputs = weights.length;
  const outputs = bias.length;
  const floatTensor = (
    name: string,
    dims: number[],
    values: number[],
  ): onnxProto.onnx.ITensorProto => ({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    floatData: values,
  });
  const valueInfo = (name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto => ({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'reelstream-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'scorer',
      initializer: [
        floatTensor('W', [inputs, outputs], weights.flat()),
        floatTensor('B', [outputs], bias),
      ],
      node: [
        { opType: 'Gemm', input: ['X', 'W', 'B'], output: ['logits'], name: 'dense' },
        { opType: 'Sigmoid', input: ['logits'], output: ['Y'], name: 'sigmoid' },
      ],
      input: [valueInfo('X', ['batch', inputs])],
      output: [valueInfo('Y', ['batch', outputs])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

test('ONNX Runtime: a model built by the test scores a batch exactly as the formula says', async () => {
  const weights = [
    [0.5, -1.0],
    [2.0, 0.25],
    [-0.75, 1.5],
  ];
  const bias = [0.1, -0.2];
  const session = await ort.InferenceSession.create(buildModel(weights, bias), {
    executionProviders: ['cpu'],
  });
  const batch = [
    [1, 2, 3],
    [-1, 0.5, 0],
  ];
  const input = new ort.Tensor('float32', Float32Array.from(batch.flat()), [2, 3]);
  const output = await session.run({ X: input });
  const y = output['Y'];
  assert.ok(y !== undefined);
  assert.deepEqual(y.dims, [2, 2]);
  const got = Array.from(y.data as Float32Array);
  const expected = batch.flatMap((row) =>
    bias.map((b, j) => {
      const logit = row.reduce((sum, x, i) => sum + x * (weights[i]?.[j] ?? NaN), b);
      return 1 / (1 + Math.exp(-logit));
    }),
  );
  got.forEach((value, i) => assert.ok(Math.abs(value - (expected[i] ?? NaN)) < 1e-6, `Y[${i}]`));
  await session.release();
});
