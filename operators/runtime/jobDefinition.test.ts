import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Pipeline } from '../dsl/pipeline.js';
import { ReelstreamError } from '../errors.js';
import { defineJob, jobDefinitionProblem } from './jobDefinition.js';

test('defineJob returns a valid definition as it is', () => {
  const definition = { applicationId: 'page-views', pipeline: new Pipeline() };
  assert.equal(defineJob(definition), definition);
});

test('defineJob refuses an application id Kafka would refuse as a topic prefix, naming it', () => {
  for (const applicationId of ['', 'has space', 'slash/ed', 'x'.repeat(201)]) {
    assert.throws(
      () => defineJob({ applicationId, pipeline: new Pipeline() }),
      (error: unknown) =>
        error instanceof ReelstreamError && /applicationId must be/.test(error.message),
    );
  }
});

test('a module export that is not a job says what it is', () => {
  assert.match(jobDefinitionProblem(undefined) ?? '', /not undefined/);
  assert.match(jobDefinitionProblem(() => 1) ?? '', /not a function/);
  assert.match(
    jobDefinitionProblem({ applicationId: 'a', pipeline: {} }) ?? '',
    /pipeline must be a Pipeline/,
  );
});

test('a Pipeline from a second copy of the package is recognised by its shape', () => {
  // What a job module built against another copy of reelstream hands over: another class,
  // the same graph inside.
  const original = new Pipeline();
  const copy = { graph: original.graph, globalTables: [] };
  assert.equal(jobDefinitionProblem({ applicationId: 'a', pipeline: copy }), undefined);
});
