import type { LagStatus } from './burrowEvaluator.js';

/** ANSI colour for a status, or the plain text when colour is off (piped, NO_COLOR). */
export function paintStatus(text: string, status: LagStatus, colour: boolean): string {
  if (!colour) {
    return text;
  }
  switch (status) {
    case 'OK':
      return `\u001b[32m${text}\u001b[0m`;
    case 'WARN':
      return `\u001b[33;1m${text}\u001b[0m`;
    case 'ERR':
      return `\u001b[31;1m${text}\u001b[0m`;
  }
}

/** A duration the way an on-call engineer reads it: 0s, 4.2s, 5m12s, 2h03m, 3d04h. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null) {
    return '-';
  }
  if (seconds < 10) {
    return `${Number(seconds.toFixed(1))}s`;
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  }
  if (s < 86_400) {
    return `${Math.floor(s / 3600)}h${pad2(Math.floor((s % 3600) / 60))}m`;
  }
  return `${Math.floor(s / 86_400)}d${pad2(Math.floor((s % 86_400) / 3600))}h`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

export function formatOffset(offset: number | null): string {
  return offset === null ? '-' : String(offset);
}

const bars = '▁▂▃▄▅▆▇█';

/** Lag over the window as block characters, scaled from 0 to the window's maximum. */
export function sparkline(values: readonly number[], width = 12): string {
  const tail = values.slice(-width);
  const max = Math.max(0, ...tail);
  return tail
    .map((v) => (max === 0 ? bars[0] : bars[Math.min(7, Math.floor((v / max) * 7.999))]))
    .join('');
}

/** ↑ lag rising, ↓ falling, → flat, ? too few samples. */
export function trendArrow(trend: 'rising' | 'falling' | 'flat' | 'unknown'): string {
  switch (trend) {
    case 'rising':
      return '↑';
    case 'falling':
      return '↓';
    case 'flat':
      return '→';
    case 'unknown':
      return '?';
  }
}
