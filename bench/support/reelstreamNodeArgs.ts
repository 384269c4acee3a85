/**
 * The arguments a bench gives Node before a reelstream engine's main, from the environment:
 *
 * - `REELSTREAM_BENCH_NODE_FLAGS`: V8 and Node flags, space-separated (investigation: e.g.
 *   `--max-old-space-size=1024`, the JVM's `-Xmx1g`; bench/README.md has what they cost);
 * - `REELSTREAM_BENCH_PROFILE=<dir>`: a V8 CPU profile of the run written there (open it in
 *   Chrome DevTools or summarize it with bench/support/profileSummary.ts).
 */
export function reelstreamNodeArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const flags = (env['REELSTREAM_BENCH_NODE_FLAGS'] ?? '').split(/\s+/).filter((f) => f !== '');
  for (const flag of flags) {
    if (!flag.startsWith('--')) {
      throw new Error(`REELSTREAM_BENCH_NODE_FLAGS: "${flag}" is not a flag (--name[=value])`);
    }
  }
  const profileDir = env['REELSTREAM_BENCH_PROFILE'];
  const profile = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  return [...flags, ...profile];
}

/**
 * `REELSTREAM_BENCH_CACHE_BYTES`: the engine's write-cache budget (`cacheMaxBytes`) instead of
 * the runtime's default of 64 MiB; undefined when unset.
 */
export function benchCacheBytes(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env['REELSTREAM_BENCH_CACHE_BYTES'];
  if (raw === undefined) {
    return undefined;
  }
  const bytes = Number(raw);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new Error(`REELSTREAM_BENCH_CACHE_BYTES must be a positive integer, not "${raw}"`);
  }
  return bytes;
}
