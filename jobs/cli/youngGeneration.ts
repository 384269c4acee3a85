/**
 * The serving job's young generation. A request of the recommender allocates thousands of
 * short-lived objects (a thousand candidates, their signals, the ranker's rows) that live
 * across its awaits, so with V8's default semi-spaces (16 MiB) many survive a scavenge and are
 * copied, promoted and marked again. With 64 MiB the serving process of the demo's load run
 * used 57% of a core instead of 71–73%, its GC helper threads 3% instead of 11%, and the
 * feature job beside it kept up (docs/load.md, 2026-12-07 night). The flag must be given when
 * node starts (V8 sizes the heap then), so the `reelstream` executable starts node with it;
 * `node dist/jobs/cli/main.js …` needs it on the command line.
 */
export const servingNodeFlag = '--max-semi-space-size=64';

/**
 * A note for a process about to serve requests without a young-generation size of its own:
 * undefined when node was started with one (on its command line or in `NODE_OPTIONS`).
 */
export function youngGenerationNote(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env['NODE_OPTIONS'],
): string | undefined {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((flag) =>
    /^--max[-_]semi[-_]space[-_]size(=|$)/.test(flag),
  );
  return given
    ? undefined
    : `node runs with V8's default young generation (16 MiB semi-spaces): start it with ${servingNodeFlag} for about a fifth less CPU per request (docs/load.md)`;
}
