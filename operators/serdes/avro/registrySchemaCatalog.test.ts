import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RestError, type SchemaInfo } from '@confluentinc/schemaregistry';

import { RegistrySchemaCatalog } from './registrySchemaCatalog.js';

// The race these tests script (a registration answered 409 "already exists" by Apicurio) is
// not reproducible on demand against the real registry; CI met it once on a fresh stack.
// The registry's real answers are covered by test/smoke/avroRegistry.integration.test.ts.

const schema = '{"type":"record","name":"R","fields":[]}';
const alreadyExists = (): RestError =>
  new RestError("An artifact with ID 'topic-value' in group 'null' already exists.", 409, 409);

function scriptedRegistry(script: {
  register: (() => number | Error)[];
  getId: (() => number | Error)[];
}): ConstructorParameters<typeof RegistrySchemaCatalog>[0] & { calls: string[] } {
  const calls: string[] = [];
  const next = (kind: 'register' | 'getId', subject: string, info: SchemaInfo): number => {
    calls.push(`${kind} ${subject} ${info.schemaType ?? ''}`);
    const step = script[kind].shift();
    assert.ok(step !== undefined, `unexpected ${kind}`);
    const result = step();
    if (result instanceof Error) {
      throw result;
    }
    return result;
  };
  return {
    calls,
    register: (subject, info) => Promise.resolve().then(() => next('register', subject, info)),
    getId: (subject, info) => Promise.resolve().then(() => next('getId', subject, info)),
    getBySubjectAndId: () => Promise.reject(new Error('not scripted')),
  };
}

test('a registration answered "already exists" looks the schema up and returns its id', async () => {
  const registry = scriptedRegistry({ register: [alreadyExists], getId: [() => 7] });
  assert.equal(await new RegistrySchemaCatalog(registry).register('topic-value', schema), 7);
  assert.deepEqual(registry.calls, ['register topic-value AVRO', 'getId topic-value AVRO']);
});

test('the lookup is retried while the registry does not list the schema yet', async () => {
  const notFound = (): RestError => new RestError('Schema not found', 404, 40403);
  const registry = scriptedRegistry({
    register: [alreadyExists],
    getId: [notFound, notFound, () => 9],
  });
  assert.equal(await new RegistrySchemaCatalog(registry).register('topic-value', schema), 9);
});

test('an incompatible schema (409 without "already exists") stays an error, unretried', async () => {
  const incompatible = (): RestError =>
    new RestError('Schema being registered is incompatible with an earlier schema', 409, 409);
  const registry = scriptedRegistry({ register: [incompatible], getId: [] });
  await assert.rejects(new RegistrySchemaCatalog(registry).register('topic-value', schema), {
    message: /incompatible/,
  });
  assert.equal(registry.calls.length, 1);
});

test('a schema that "already exists" but is never found fails with both causes named', async () => {
  const gone = (): Error => new RestError('Subject not found', 404, 40401);
  const registry = scriptedRegistry({
    register: [alreadyExists],
    getId: [gone, gone, gone, gone, gone],
  });
  await assert.rejects(new RegistrySchemaCatalog(registry).register('topic-value', schema), {
    message: /topic-value: the registry said it already exists, but 5 lookups did not find it/,
  });
});

test('a registration answered 404 (a registry URL without its Confluent API path) is a configuration error', async () => {
  const wrongPath = (): Error =>
    new RestError('Unknown error: Request failed with status code 404', 404, -1);
  const registry = scriptedRegistry({ register: [wrongPath], getId: [] });
  await assert.rejects(new RegistrySchemaCatalog(registry).register('topic-value', schema), {
    name: 'ConfigError',
    message: /REELSTREAM_REGISTRY_URL: registering topic-value, the schema registry answered 404/,
  });
});
