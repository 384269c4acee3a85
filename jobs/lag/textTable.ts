/** Aligned plain-text columns; cells may carry ANSI colour, which takes no width. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) =>
    Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ''))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) =>
        i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleWidth(cell)),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

// eslint-disable-next-line no-control-regex -- ANSI escape sequences are control characters.
const ansi = /\u001b\[[0-9;]*m/g;

export function visibleWidth(text: string): number {
  return [...text.replace(ansi, '')].length;
}

/** Whether the text carries ANSI colour. */
export function hasColour(text: string): boolean {
  return text.replace(ansi, '') !== text;
}
