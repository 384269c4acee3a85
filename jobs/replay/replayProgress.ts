import cliProgress from 'cli-progress';

/** Where a replay stands, reported after every batch. */
export interface ReplayProgressState {
  readonly ratings: number;
  readonly totalRatings: number;
  /** Records written so far, catalogue included. */
  readonly events: number;
  /** Original (unshifted) data-set time of the last record written, Unix ms. */
  readonly datasetTimeMs: number;
  /** Wall-clock milliseconds since the replay started. */
  readonly elapsedMs: number;
}

/** Shows replay progress. */
export interface ReplayProgress {
  update(state: ReplayProgressState): void;
  stop(): void;
}

/** Shows nothing (`--no-progress`, tests). */
export const silentProgress: ReplayProgress = {
  update: () => undefined,
  stop: () => undefined,
};

/**
 * A cli-progress bar on stderr over the ratings: percentage, ratings done, records written,
 * their rate, the ETA (cli-progress's estimate from the recent rate) and the data-set date
 * reached. When stderr is not a terminal it prints the same line every 5 seconds instead.
 */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): ReplayProgress {
  const bar = new cliProgress.SingleBar(
    {
      format:
        'replay |{bar}| {percentage}% | {value}/{total} ratings | {events} records | {rate} records/s | ETA {eta_formatted} | at {date}',
      stream,
      hideCursor: null,
      noTTYOutput: true,
      notTTYSchedule: 5_000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (state) => {
      const payload = {
        events: state.events,
        rate: state.elapsedMs > 0 ? Math.round((state.events * 1000) / state.elapsedMs) : 0,
        date: new Date(state.datasetTimeMs).toISOString().slice(0, 16).replace('T', ' '),
      };
      if (!started) {
        bar.start(state.totalRatings, state.ratings, payload);
        started = true;
      } else {
        bar.update(state.ratings, payload);
      }
    },
    stop: () => {
      if (started) {
        bar.stop();
      }
    },
  };
}
