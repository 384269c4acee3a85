import type { EvaluatorSettings } from './burrowEvaluator.js';
import type { LagReport } from './lagReport.js';

/**
 * Bumped on any incompatible change of the `--json` output (fields are only ever added).
 * 2: `lag` is negative when the committed offset is beyond the log end (as kafka-consumer-groups
 * prints it; 1 clamped it to 0), `timeLagSeconds` is then null; `lostRecords` added.
 */
export const jsonSchemaVersion = 2;

/** The `--json` document; its schema is documented in docs/lag.md. */
export function renderJson(
  report: LagReport,
  context: { brokers: readonly string[]; settings: EvaluatorSettings },
): string {
  const document = {
    schemaVersion: jsonSchemaVersion,
    generatedAt: new Date(report.generatedAtMs).toISOString(),
    brokers: context.brokers,
    window: {
      seconds: context.settings.windowMs / 1000,
      allowedLag: context.settings.allowedLag,
      minSamples: context.settings.minSamples,
    },
    status: report.status,
    groups: report.groups,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
