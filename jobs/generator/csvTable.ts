import { readFileSync } from 'node:fs';

/** A CSV file read into rows of named fields. */
export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/**
 * Splits one CSV line (RFC 4180 quoting: fields in double quotes may hold commas, `""` is a
 * quote). Lines never hold newlines in the tables read here.
 */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else {
      field += ch;
    }
  }
  fields.push(field);
  return fields;
}

/** Reads a CSV file with a header line; fails when a required column is missing. */
export function readCsvTable(path: string, required: readonly string[]): CsvTable {
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = parseCsvLine((lines[0] ?? '').replace(/\r$/, ''));
  const missing = required.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new Error(`${path}: missing column(s) ${missing.join(', ')}`);
  }
  const rows = lines
    .slice(1)
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line !== '')
    .map(parseCsvLine);
  return { header, rows };
}

/** A column accessor by name for the rows of `table`. */
export function column(table: CsvTable, name: string): (row: readonly string[]) => string {
  const index = table.header.indexOf(name);
  return (row) => row[index] ?? '';
}
