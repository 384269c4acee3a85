/**
 * The code of one {@link TowerPool} worker thread, as a CommonJS script the pool starts with
 * `new Worker(source, { eval: true })`. A string rather than a module file because the same
 * code must run from the TypeScript sources (tsx, which does not reach into workers) and from
 * `dist/` alike; it requires onnxruntime-node by the path the pool resolved.
 *
 * Protocol: the worker posts `{ type: 'ready' }` (or `{ type: 'failed', message }`) once its
 * session is created; then for each `{ id, inputs: [{ name, type, buffer, dims }], output }`
 * it runs the model and posts `{ type: 'result', id, buffer, dims }` (the output's floats,
 * transferred) or `{ type: 'result', id, error }`.
 */
export const towerWorkerSource = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;
const message = (error) => String((error && error.message) || error);
ort.InferenceSession.create(workerData.modelFile, {
  intraOpNumThreads: workerData.threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
}).then(
  (created) => {
    session = created;
    parentPort.postMessage({ type: 'ready' });
  },
  (error) => parentPort.postMessage({ type: 'failed', message: message(error) }),
);
parentPort.on('message', async (request) => {
  try {
    const feeds = {};
    for (const input of request.inputs) {
      const data =
        input.type === 'int64' ? new BigInt64Array(input.buffer) : new Float32Array(input.buffer);
      feeds[input.name] = new ort.Tensor(input.type, data, input.dims);
    }
    const outputs = await session.run(feeds, [request.output]);
    const tensor = outputs[request.output];
    const data = Float32Array.from(tensor.data);
    parentPort.postMessage(
      { type: 'result', id: request.id, buffer: data.buffer, dims: tensor.dims.map(Number) },
      [data.buffer],
    );
  } catch (error) {
    parentPort.postMessage({ type: 'result', id: request.id, error: message(error) });
  }
});
`;
