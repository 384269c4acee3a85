/**
 * What grew between V8 heap snapshots of one process (`node --heapsnapshot-signal=SIGUSR2`, then
 * `kill -USR2 <pid>` now and again): the live objects per kind and constructor, first snapshot
 * against last, and which of the objects born between the first two are still alive in the
 * last. With `--retainers <names>`: for the objects of those constructors that are new in the
 * last snapshot, their most common chains of retainers (what holds them), indices left out.
 *
 *   node --import tsx bench/support/heapSnapshotDiff.ts a.heapsnapshot b.heapsnapshot [c …] \
 *     [--top 30] [--retainers Buffer,Candidate]
 *
 * Object ids are stable across the snapshots of one process (V8's heap profiler keeps them), so
 * "born between" and "new in the last" are exact, not estimated. Snapshots of 100–150 MB take
 * 10–20 s each to read.
 */
import { readFileSync } from 'node:fs';

import { Command } from 'commander';

interface RawSnapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: readonly string[];
      readonly node_types: readonly [readonly string[], ...unknown[]];
      readonly edge_fields: readonly string[];
      readonly edge_types: readonly [readonly string[], ...unknown[]];
    };
  };
  readonly nodes: readonly number[];
  readonly edges: readonly number[];
  readonly strings: readonly string[];
}

/** One snapshot, indexed: per node its kind, name, id and self size, in node order. */
class Snapshot {
  readonly ids: Set<number>;
  private readonly raw: RawSnapshot;
  private readonly fields: number;
  private readonly field: Record<'type' | 'name' | 'id' | 'self_size' | 'edge_count', number>;

  constructor(file: string) {
    this.raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
    const names = this.raw.snapshot.meta.node_fields;
    this.fields = names.length;
    this.field = {
      type: names.indexOf('type'),
      name: names.indexOf('name'),
      id: names.indexOf('id'),
      self_size: names.indexOf('self_size'),
      edge_count: names.indexOf('edge_count'),
    };
    this.ids = new Set();
    for (let node = 0; node < this.count; node++) {
      this.ids.add(this.value(node, 'id'));
    }
  }

  get count(): number {
    return this.raw.nodes.length / this.fields;
  }

  value(node: number, field: keyof Snapshot['field']): number {
    return this.raw.nodes[node * this.fields + this.field[field]] ?? 0;
  }

  /** `kind:constructor` (strings and code by kind alone: their names are their contents). */
  label(node: number): string {
    const kind = this.raw.snapshot.meta.node_types[0][this.value(node, 'type')] ?? '?';
    if (kind.endsWith('string') || kind === 'code') {
      return `${kind}:`;
    }
    return `${kind}:${(this.raw.strings[this.value(node, 'name')] ?? '').slice(0, 60)}`;
  }

  /** Count and self bytes per label, of every node or of those whose id `keep` accepts. */
  totals(
    keep: (id: number) => boolean = () => true,
  ): Map<string, { count: number; bytes: number }> {
    const totals = new Map<string, { count: number; bytes: number }>();
    for (let node = 0; node < this.count; node++) {
      if (!keep(this.value(node, 'id'))) {
        continue;
      }
      const label = this.label(node);
      const total = totals.get(label) ?? { count: 0, bytes: 0 };
      total.count += 1;
      total.bytes += this.value(node, 'self_size');
      totals.set(label, total);
    }
    return totals;
  }

  /** Per node, the nodes that hold it (strong edges only) and the edge's name. */
  retainers(): { from: number; edge: string }[][] {
    const meta = this.raw.snapshot.meta;
    const edgeFields = meta.edge_fields.length;
    const typeField = meta.edge_fields.indexOf('type');
    const nameField = meta.edge_fields.indexOf('name_or_index');
    const toField = meta.edge_fields.indexOf('to_node');
    const named = new Set(['context', 'property', 'internal', 'shortcut']);
    const held: { from: number; edge: string }[][] = Array.from({ length: this.count }, () => []);
    let edge = 0;
    for (let node = 0; node < this.count; node++) {
      for (let i = 0; i < this.value(node, 'edge_count'); i++, edge += edgeFields) {
        const type = meta.edge_types[0][this.raw.edges[edge + typeField] ?? 0] ?? '';
        if (type === 'weak') {
          continue;
        }
        const name = this.raw.edges[edge + nameField] ?? 0;
        const to = (this.raw.edges[edge + toField] ?? 0) / this.fields;
        // Element indices, and the numbered slots of internal arrays (a Map's table), are left
        // out, so that the chains of objects held in the same place are counted together.
        const text = named.has(type) ? (this.raw.strings[name] ?? '') : '';
        held[to]?.push({ from: node, edge: /^\d*$/.test(text) ? '[]' : text });
      }
    }
    return held;
  }
}

const program = new Command()
  .argument('<snapshots...>', 'two or more .heapsnapshot files of one process, oldest first')
  .option('--top <n>', 'rows per table', (v) => Number(v), 30)
  .option('--retainers <names>', 'constructors whose new objects to trace to what holds them')
  .parse();
const files = program.args;
const { top, retainers } = program.opts<{ top: number; retainers?: string }>();
if (files.length < 2) {
  program.error('give at least two snapshots of the same process, oldest first');
}
const snapshots = files.map((file) => new Snapshot(file));
const first = snapshots[0];
const last = snapshots[snapshots.length - 1];
if (first === undefined || last === undefined) {
  throw new Error('unreachable');
}
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
snapshots.forEach((snapshot, i) => {
  const all = [...snapshot.totals().values()].reduce((sum, t) => sum + t.bytes, 0);
  console.log(`snapshot ${i}: ${snapshot.count} objects, ${mb(all)} MB (self sizes)`);
});

const before = first.totals();
const after = last.totals();
const growth = [...new Set([...before.keys(), ...after.keys()])]
  .map((label) => {
    const a = before.get(label) ?? { count: 0, bytes: 0 };
    const b = after.get(label) ?? { count: 0, bytes: 0 };
    return { label, bytes: b.bytes - a.bytes, count: b.count - a.count, now: b };
  })
  .sort((x, y) => y.bytes - x.bytes);
console.log('\ngrowth, first snapshot to last (bytes, objects; then what is there now):');
for (const row of growth.slice(0, top)) {
  console.log(
    `${row.bytes.toLocaleString('en').padStart(13)} B ${row.count.toLocaleString('en').padStart(9)}  ${row.label}  (now ${row.now.count.toLocaleString('en')}, ${mb(row.now.bytes)} MB)`,
  );
}

const second = snapshots[1];
if (snapshots.length >= 3 && second !== undefined) {
  const survivors = last.totals((id) => second.ids.has(id) && !first.ids.has(id));
  console.log('\nborn between snapshots 0 and 1, still alive in the last:');
  for (const [label, total] of [...survivors]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, top)) {
    console.log(
      `${total.bytes.toLocaleString('en').padStart(13)} B ${total.count.toLocaleString('en').padStart(9)}  ${label}`,
    );
  }
}

if (retainers !== undefined) {
  const wanted = new Set(retainers.split(',').map((name) => name.trim()));
  const previous = snapshots[snapshots.length - 2] ?? first;
  const held = last.retainers();
  const chains = new Map<string, number>();
  let traced = 0;
  for (let node = 0; node < last.count; node++) {
    const name = last.label(node).split(':').slice(1).join(':');
    if (!wanted.has(name) || previous.ids.has(last.value(node, 'id'))) {
      continue;
    }
    traced++;
    const path: string[] = [];
    const seen = new Set([node]);
    let current = node;
    for (let depth = 0; depth < 9; depth++) {
      const by = held[current]?.find((r) => !seen.has(r.from));
      if (by === undefined) {
        break;
      }
      path.push(`${last.label(by.from)}.${by.edge}`);
      seen.add(by.from);
      current = by.from;
    }
    const chain = path.join(' <- ');
    chains.set(chain, (chains.get(chain) ?? 0) + 1);
  }
  console.log(
    `\nwhat holds the ${traced} objects of ${[...wanted].join(', ')} new in the last snapshot:`,
  );
  for (const [chain, count] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${String(count).padStart(8)}  ${chain}`);
  }
}
