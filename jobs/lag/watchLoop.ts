import { setTimeout as sleep } from 'node:timers/promises';

import type { EvaluatorSettings } from './burrowEvaluator.js';
import { exitCodes } from './exitCodes.js';
import { LagError } from './lagErrors.js';
import type { LagMonitor } from './lagMonitor.js';
import { OutageLog } from './outageLog.js';
import { clearScreen, renderOutageFrame, renderWatchFrame } from './watchView.js';

/**
 * `--watch`: a frame every interval until Ctrl-C, cut to the terminal's size (when stdout is a
 * terminal). A failed look shows the outage frame (one line: since when, how many looks failed,
 * why) and the loop goes on, so the view resumes by itself when the cluster answers.
 */
export async function runWatch(
  monitor: LagMonitor,
  options: { colour: boolean; intervalMs: number; settings: EvaluatorSettings; stop: AbortSignal },
): Promise<number> {
  const outage = new OutageLog(options.intervalMs);
  while (!options.stop.aborted) {
    const size = terminalSize();
    let frame: string;
    try {
      const report = await monitor.look();
      outage.succeeded(Date.now());
      frame = renderWatchFrame(report, {
        colour: options.colour,
        intervalMs: options.intervalMs,
        windowMs: options.settings.windowMs,
        ...size,
      });
    } catch (error) {
      if (!(error instanceof LagError)) {
        throw error;
      }
      frame = renderOutageFrame(outage.failed(error.message, Date.now()), size);
    }
    await write(clearScreen + frame);
    await sleep(options.intervalMs, undefined, { signal: options.stop }).catch(() => undefined);
  }
  return exitCodes.ok;
}

/** The terminal's columns and rows; none when stdout is piped (nothing is cut then). */
function terminalSize(): { columns?: number; rows?: number } {
  const { columns, rows, isTTY } = process.stdout;
  return isTTY ? { columns, rows } : {};
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (error) => (error ? reject(error) : resolve())),
  );
}
