import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import type { RawRecord } from '../../runtime/rawRecord.js';
import { decodeRecordSet, type FetchRange } from './fetchDecoder.js';

// Record batches as the broker stores them, encoded by kafkajs' own encoder (the producer's):
// the decoder reads what a real producer writes, not a format of this test's making.
const requireKafkajs = createRequire(import.meta.url);
interface Encoded {
  readonly buffer: Buffer;
}
const { RecordBatch } = requireKafkajs('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (batch: object) => Promise<Encoded>;
};
const Record = requireKafkajs('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
  record: object,
) => Encoded;
const Long = requireKafkajs('kafkajs/src/utils/long.js') as { fromNumber(n: number): object };

interface Written {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers?: Record<string, string>;
}

/** Record batches of `perBatch` records each, offsets from `base`, one after another. */
async function recordSet(records: readonly Written[], perBatch: number, base = 0): Promise<Buffer> {
  const batches: Buffer[] = [];
  for (let from = 0; from < records.length; from += perBatch) {
    const slice = records.slice(from, from + perBatch);
    const encoded = await RecordBatch({
      firstOffset: Long.fromNumber(base + from),
      firstTimestamp: 1_000 + from,
      maxTimestamp: 1_000 + from + slice.length,
      lastOffsetDelta: slice.length - 1,
      records: slice.map((r, i) =>
        Record({
          offsetDelta: i,
          timestampDelta: i,
          key: r.key === null ? null : Buffer.from(r.key),
          value: r.value === null ? null : Buffer.from(r.value),
          headers: r.headers ?? {},
        }),
      ),
    });
    batches.push(encoded.buffer);
  }
  return Buffer.concat(batches);
}

function decode(set: Buffer, range: FetchRange): ReturnType<typeof decodeRecordSet> {
  return decodeRecordSet(set, { topic: 't', partition: 3, range, aborted: [] });
}

const text = (b: Uint8Array | null): string | null =>
  b === null ? null : Buffer.from(b).toString();

function shape(records: readonly RawRecord[]): string[] {
  return records.map((r) => `${r.offset}:${text(r.key)}=${text(r.value)}`);
}

/** The last record of each key (every record without one), in offset order: the reference. */
function latestOfEachKey(records: readonly RawRecord[]): RawRecord[] {
  const last = new Map<string, RawRecord>();
  for (const r of records) {
    if (r.key !== null) {
      last.set(Buffer.from(r.key).toString('latin1'), r);
    }
  }
  return records.filter(
    (r) => r.key === null || last.get(Buffer.from(r.key).toString('latin1')) === r,
  );
}

test('decodeRecordSet decodes every record of every batch, with headers, timestamps and the next offset', async () => {
  const written: Written[] = [
    { key: 'a', value: '1', headers: { origin: 'x' } },
    { key: null, value: 'no key' },
    { key: 'b', value: null },
    { key: '', value: 'empty key' },
  ];
  const { records, read, nextOffset } = await decode(await recordSet(written, 3, 10), {
    fetchOffset: 0n,
  });
  assert.deepEqual(shape(records), ['10:a=1', '11:null=no key', '12:b=null', '13:=empty key']);
  assert.equal(text(records[0]?.headers['origin'] as Uint8Array), 'x');
  assert.deepEqual(
    records.map((r) => r.timestamp),
    [1_000, 1_001, 1_002, 1_003], // each batch's base time plus the record's delta
  );
  assert.equal(records[0]?.topic, 't');
  assert.equal(records[0]?.partition, 3);
  assert.deepEqual(read, { records: 4, bytes: 1 + 1 + 6 + 1 + 0 + 9 });
  assert.equal(nextOffset, 14n);
});

test('latestPerKey keeps the last record of each key in offset order, and counts every record read', async () => {
  // Keys repeat within a batch and across batches; a tombstone ends one key; records without a
  // key stay.
  const written: Written[] = [];
  for (let i = 0; i < 500; i++) {
    const key = i % 37 === 0 ? null : `user-${(i * 7) % 23}`;
    written.push({ key, value: i % 41 === 0 ? null : `v${i}` });
  }
  const set = await recordSet(written, 64);
  const all = await decode(set, { fetchOffset: 0n });
  const latest = await decode(set, { fetchOffset: 0n, latestPerKey: true });
  assert.deepEqual(shape(latest.records), shape(latestOfEachKey(all.records)));
  assert.ok(latest.records.length < 40, `${latest.records.length} records kept`);
  assert.deepEqual(latest.read, all.read);
  assert.equal(latest.read.records, 500);
  assert.equal(latest.nextOffset, all.nextOffset);
});

test('latestPerKey applies the fetch offset and the end before choosing: a value after the end does not hide one before it', async () => {
  const written: Written[] = [
    { key: 'k', value: 'before the fetch offset' },
    { key: 'k', value: 'read' },
    { key: 'j', value: 'read too' },
    { key: 'k', value: 'after the end' },
  ];
  const set = await recordSet(written, 4, 100);
  const range = { fetchOffset: 101n, endOffset: 103n, latestPerKey: true };
  const { records, read } = await decode(set, range);
  assert.deepEqual(shape(records), ['101:k=read', '102:j=read too']);
  assert.deepEqual(read, { records: 2, bytes: 1 + 4 + 1 + 8 });
});

test('latestPerKey tells apart two keys whose hashes are equal', async () => {
  // FNV-1a (32 bits) maps these two keys to the same hash (found by search).
  const [x, y] = ['k32728', 'k261234'];
  const written: Written[] = [
    { key: x, value: 'x1' },
    { key: y, value: 'y1' },
    { key: x, value: 'x2' },
    { key: 'other', value: 'o' },
    { key: y, value: 'y2' },
    { key: y, value: 'y3' },
  ];
  const { records } = await decode(await recordSet(written, 2), {
    fetchOffset: 0n,
    latestPerKey: true,
  });
  assert.deepEqual(shape(records), ['2:k32728=x2', '3:other=o', '5:k261234=y3']);
});

test('a record set cut short by the size limit ends at the last whole batch', async () => {
  const set = await recordSet(
    Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, value: `v${i}` })),
    4,
  );
  const cut = set.subarray(0, set.length - 5);
  for (const latestPerKey of [false, true]) {
    const { records, nextOffset } = await decode(cut, { fetchOffset: 0n, latestPerKey });
    assert.equal(nextOffset, 8n);
    assert.equal(records[records.length - 1]?.offset, '7');
  }
});
