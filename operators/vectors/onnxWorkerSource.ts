/**
 * The code of one {@link OnnxBatchPool} worker thread, as a CommonJS script the pool starts with
 * `new Worker(source, { eval: true })`. A string rather than a module file because the same
 * code must run from the TypeScript sources (tsx, which does not reach into workers) and from
 * `dist/` alike; it requires onnxruntime-node by the path the pool resolved.
 *
 * Protocol: `{ type: 'ready' }` or `{ type: 'failed', message }` once the session exists; then
 * for each `{ id, inputs: [{ name, type, buffer, dims }], outputs: [name] }` it runs the model
 * and posts `{ type: 'result', id, buffers: [ArrayBuffer per output, float32] }` (transferred)
 * or `{ type: 'result', id, error }`.
 */
export const onnxWorkerSource = String.raw`
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
    const results = await session.run(feeds, request.outputs);
    const buffers = request.outputs.map((name) => Float32Array.from(results[name].data).buffer);
    parentPort.postMessage({ type: 'result', id: request.id, buffers }, buffers);
  } catch (error) {
    parentPort.postMessage({ type: 'result', id: request.id, error: message(error) });
  }
});
`;
