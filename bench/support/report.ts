/** Small pieces of the benches' command lines and printed reports. */
import { cpus, loadavg, totalmem } from 'node:os';

/** A rate as a whole number with thousands separators: 123,456. */
export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Prints a left-aligned table: the header, a rule, then one line per row. */
export function printTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  print: (line: string) => void = console.log,
): void {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  print(line(header));
  print(line(widths.map((width) => '-'.repeat(width))));
  for (const cells of rows) {
    print(line(cells));
  }
}

/**
 * commander parser for a comma-separated list of engines, each one of `known`, in the order
 * given.
 */
export function engineListParser<TEngine extends string>(
  known: readonly TEngine[],
): (value: string) => TEngine[] {
  return (value) => {
    const engines = value.split(',').map((name) => name.trim());
    const names: readonly string[] = known;
    const unknown = engines.filter((name) => !names.includes(name));
    if (unknown.length > 0) {
      throw new Error(`unknown engine(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
    }
    return engines.filter((name): name is TEngine => names.includes(name));
  };
}

/** `load average 1.23 on 2 cores`: printed before each engine run. */
export function loadLine(): string {
  return `load average ${loadavg()[0]?.toFixed(2) ?? '?'} on ${cpus().length} cores`;
}

/** `machine: 2 cores, 24 GiB; the broker, <what> and node share them (see bench/README.md)`. */
export function machineLine(what: string): string {
  return (
    `machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ` +
    `the broker, ${what} and node share them (see bench/README.md)`
  );
}

/** An engine's free-form figures as `name value, name value`. */
export function formatDetails(details: Readonly<Record<string, number | string>>): string {
  return Object.entries(details)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');
}
