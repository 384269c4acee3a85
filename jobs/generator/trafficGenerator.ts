import { seededRandom } from '../../operators/support/seededRandom.js';
import type { Surface } from '../../schemas/generated/impression.js';
import type { EngagementType } from '../../schemas/generated/engagement.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import {
  affinity,
  clickProbability,
  dismissProbability,
  engagementOdds,
  watchRatio,
} from './behaviourModel.js';
import { builtInPopulation, builtInTags } from './builtInPopulation.js';
import { clamp, exponential, normal, pick, type Random } from './distributions.js';
import { EventQueue } from './eventQueue.js';
import type { GeneratedEvent } from './generatedEvent.js';
import { defaultModelParameters, diurnalFactor, type ModelParameters } from './modelParameters.js';
import {
  drawIndex,
  sampleDurationMs,
  sampleQuality,
  type Population,
  type SimUser,
  type SimVideo,
} from './population.js';
import { PopularityModel } from './popularityModel.js';
import { WeightedSampler } from './weightedSampler.js';

/** What a traffic simulation is built from. */
export interface TrafficOptions {
  /** Seed of every random choice: equal options give the identical event sequence. */
  readonly seed: number;
  /**
   * Events per second of event time at the start. The diurnal cycle then moves the rate with
   * the hour of the day, relative to the start's hour (see `diurnalFactor`).
   */
  readonly rate: number;
  /** Scales the upload rate (100,000/hour × scale) and the built-in population's size. */
  readonly scale: number;
  /** Event time the simulation starts at, Unix epoch milliseconds. */
  readonly startTime: number;
  /** Users and catalogue; by default the built-in population at `scale`. */
  readonly population?: Population;
  /** Overrides of the model's parameters. */
  readonly model?: Partial<ModelParameters>;
  /**
   * Event time simulated before `startTime` and not emitted (default 2 minutes), so playbacks
   * are already under way at the start and the rate starts at its steady state.
   */
  readonly warmUpMs?: number;
}

/** Something scheduled in event time: an event to emit or a step of the simulation. */
type Scheduled =
  | { readonly type: 'emit'; readonly event: GeneratedEvent }
  | { readonly type: 'request' }
  | { readonly type: 'upload' }
  | { readonly type: 'tick' };

const surfaces: readonly { readonly surface: Surface; readonly weight: number }[] = [
  { surface: 'HOME_FEED', weight: 0.8 },
  { surface: 'UP_NEXT', weight: 0.15 },
  { surface: 'FOLLOWING', weight: 0.05 },
];
const freshWindow = 500;

/**
 * A seeded discrete-event simulation of a short-video app's traffic. Users (with latent
 * interests) open the app at a rate that follows a diurnal cycle and get a list of videos
 * (impressions); they click down the list with a position bias, watch each opened video for a
 * time driven by their affinity and its length (heartbeats every 10 s, then a watch end), and
 * sometimes like, share, follow, dislike or dismiss. Creators upload continuously; popularity
 * drifts and now and then a video goes viral. Events come out in event-time order.
 *
 * @example
 * ```ts
 * const traffic = new TrafficGenerator({ seed: 7, rate: 1000, scale: 0.001, startTime: Date.now() });
 * for (const event of take(traffic.events(), 10_000)) console.log(event.kind, event.value.eventTime);
 * ```
 */
export class TrafficGenerator {
  readonly population: Population;
  readonly parameters: ModelParameters;
  readonly startTime: number;
  private readonly rate: number;
  private readonly warmUpMs: number;
  private readonly uploadsPerHour: number;
  private readonly random: Random;
  private readonly queue = new EventQueue<Scheduled>();
  private readonly videos: SimVideo[] = [];
  private readonly videoIndex = new Map<string, number>();
  private readonly userIndex = new Map<string, number>();
  private readonly userSampler = new WeightedSampler(1024);
  private readonly creatorSampler = new WeightedSampler(1024);
  private readonly creatorVideos = new Map<string, number[]>();
  private readonly fresh: number[] = [];
  private readonly popularity: PopularityModel;
  private eventsPerRequest = 14;
  /** Events emitted so far (warm-up included), for the rate control. */
  private emittedEvents = 0;
  private targetEvents = 0;
  private lastRequestTime: number | undefined;
  /** Exact (fractional) time of the next request; the queue holds it rounded down. */
  private nextRequestTime = 0;
  private requests = 0;
  private sessions = 0;
  private started = false;

  constructor(options: TrafficOptions) {
    if (!(options.rate > 0) || !(options.scale > 0)) {
      throw new RangeError('rate and scale must be positive');
    }
    this.parameters = { ...defaultModelParameters, ...options.model };
    this.startTime = options.startTime;
    // The rate is given for the start; the diurnal curve is applied relative to it.
    this.rate = options.rate / diurnalFactor(options.startTime, this.parameters);
    this.warmUpMs = Math.max(0, options.warmUpMs ?? 120_000);
    this.uploadsPerHour = this.parameters.uploadsPerHourAtFullScale * options.scale;
    this.random = seededRandom(options.seed);
    this.population =
      options.population ??
      builtInPopulation({ scale: options.scale, seed: options.seed, startTime: options.startTime });
    this.popularity = new PopularityModel(this.parameters, this.population.categories.length);
    this.population.users.forEach((user, i) => {
      this.userIndex.set(user.id, i);
      this.userSampler.push(user.activity);
    });
    for (const creator of this.population.creators) {
      this.creatorSampler.push(creator.productivity);
    }
    this.addInitialCatalogue();
  }

  /** The catalogue at the start, as catalogue records stamped with the start time. */
  *catalogSnapshot(): Generator<GeneratedEvent> {
    for (const video of this.population.videos) {
      yield { kind: 'videoCatalog', value: this.uploadRecord(video, this.startTime) };
    }
  }

  /**
   * The traffic, in event-time order, without end (take what you need: {@link take},
   * {@link until}). One pass per generator: the simulation's state moves on as it is read.
   */
  *events(): Generator<GeneratedEvent> {
    if (this.started) {
      throw new Error('TrafficGenerator.events() can be read only once');
    }
    this.started = true;
    const from = this.startTime - this.warmUpMs;
    this.queue.push(from, { type: 'request' });
    this.queue.push(from + this.parameters.driftIntervalMs, { type: 'tick' });
    if (this.uploadsPerHour > 0) {
      this.queue.push(this.startTime + this.uploadGap(), { type: 'upload' });
    }
    for (;;) {
      const next = this.queue.pop();
      if (next === undefined) {
        return;
      }
      const { time, item } = next;
      switch (item.type) {
        case 'emit':
          this.emittedEvents++;
          if (time >= this.startTime) {
            yield item.event;
          }
          break;
        case 'request':
          this.request(time);
          break;
        case 'upload':
          this.upload(time);
          break;
        case 'tick':
          this.tick(time);
          break;
      }
    }
  }

  /** The user's affinity for the video in [0, 1]; undefined when either is unknown. */
  affinityOf(userId: string, videoId: string): number | undefined {
    const user = this.population.users[this.userIndex.get(userId) ?? -1];
    const video = this.videos[this.videoIndex.get(videoId) ?? -1];
    return user === undefined || video === undefined ? undefined : affinity(user, video);
  }

  /** A video of the catalogue (initial or uploaded so far). */
  video(videoId: string): SimVideo | undefined {
    return this.videos[this.videoIndex.get(videoId) ?? -1];
  }

  /** Videos currently boosted as viral. */
  viralVideoIds(): string[] {
    return this.popularity.viralVideos().flatMap((i) => this.videos[i]?.id ?? []);
  }

  private addInitialCatalogue(): void {
    const videos = this.population.videos;
    // Popularity ranks follow quality, with noise: good videos tend to be popular.
    const scores = videos.map((v) => v.quality + 0.3 * normal(this.random));
    const order = [...videos.keys()].sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
    const rank = new Int32Array(videos.length);
    order.forEach((index, r) => (rank[index] = r));
    videos.forEach((video, i) => this.addVideo(video, rank[i] ?? i));
    // The freshest videos of the start are the first "fresh" candidates.
    const byAge = [...videos.keys()].sort(
      (a, b) => (videos[b]?.uploadTime ?? 0) - (videos[a]?.uploadTime ?? 0),
    );
    this.fresh.push(...byAge.slice(0, freshWindow).reverse());
  }

  private addVideo(video: SimVideo, rank: number): number {
    const index = this.videos.length;
    this.videos.push(video);
    this.videoIndex.set(video.id, index);
    this.popularity.add({ category: video.categoryIndex, rank });
    const own = this.creatorVideos.get(video.creatorId) ?? [];
    own.push(index);
    this.creatorVideos.set(video.creatorId, own);
    return index;
  }

  private emit(time: number, event: GeneratedEvent): void {
    this.queue.push(time, { type: 'emit', event });
  }

  /** One user opens a list: impressions, then clicks and playbacks down the list. */
  private request(time: number): void {
    const random = this.random;
    const user = this.population.users[this.userSampler.sample(random)];
    const p = this.parameters;
    let produced = 0;
    if (user !== undefined) {
      const requestId = `r-${this.requests++}`;
      const surface =
        surfaces[
          drawIndex(
            random,
            surfaces.map((s) => s.weight),
          )
        ]?.surface ?? 'HOME_FEED';
      const list = this.buildList(user);
      list.forEach((videoIndex, position) => {
        const video = this.videos[videoIndex];
        if (video !== undefined) {
          this.emit(time, {
            kind: 'impressions',
            value: {
              requestId,
              userId: user.id,
              videoId: video.id,
              position,
              surface,
              modelVersion: p.modelVersion,
              eventTime: time,
              predictedClick: null,
              explored: false,
            },
          });
          produced++;
        }
      });
      let cursor = time + 500 + Math.round(1500 * random());
      list.forEach((videoIndex, position) => {
        const video = this.videos[videoIndex];
        if (video === undefined) {
          return;
        }
        const a = affinity(user, video);
        const clickOdds = clickProbability({
          position,
          affinity: a,
          positionBiasExponent: p.positionBiasExponent,
        });
        if (random() < clickOdds) {
          const playback = this.play(
            { user, video, affinity: a },
            { requestId, position, surface },
            cursor,
          );
          produced += playback.events;
          cursor = playback.end;
        } else if (random() < dismissProbability(a)) {
          this.emitEngagement({ user, video, requestId }, 'DISMISS', cursor + 300);
          produced++;
        }
        cursor += 300 + Math.round(1200 * random());
      });
    }
    this.scheduleNextRequest(time, produced);
  }

  /**
   * Requests arrive as a Poisson process whose rate makes events per second follow the target:
   * the mean gap is (events per request) / (target rate), corrected by how far the events
   * emitted so far are ahead of or behind the target (integral control: the rate holds even
   * while long playbacks still owe heartbeats, and whatever the mix of events per request).
   */
  private scheduleNextRequest(time: number, produced: number): void {
    const exact = Math.max(this.nextRequestTime, time);
    const perSecond = Math.max(this.rate * diurnalFactor(exact, this.parameters), 1e-9);
    this.eventsPerRequest = 0.98 * this.eventsPerRequest + 0.02 * Math.max(1, produced);
    this.targetEvents += (perSecond * (exact - (this.lastRequestTime ?? exact))) / 1000;
    this.lastRequestTime = exact;
    const ahead = (this.emittedEvents - this.targetEvents) / (perSecond * 10);
    const meanGapMs = ((1000 * this.eventsPerRequest) / perSecond) * (1 + clamp(ahead, -0.5, 1));
    // Fractional milliseconds: rounding short gaps up would bias the rate down.
    this.nextRequestTime = exact + exponential(this.random, meanGapMs);
    this.queue.push(Math.floor(this.nextRequestTime), { type: 'request' });
  }

  /** The videos of one list: from global popularity, the user's interests and fresh uploads. */
  private buildList(user: SimUser): number[] {
    const random = this.random;
    const mix = this.parameters.candidateMix;
    const total = mix.popular + mix.interest + mix.fresh;
    const chosen = new Set<number>();
    const wanted = Math.min(this.parameters.listSize, this.videos.length);
    for (let tries = 0; chosen.size < wanted && tries < wanted * 5; tries++) {
      const u = random() * total;
      let index: number;
      if (u < mix.popular) {
        index = this.popularity.sample(random);
      } else if (u < mix.popular + mix.interest) {
        index = this.interestCandidate(user);
      } else {
        index = this.fresh.length > 0 ? pick(random, this.fresh) : this.popularity.sample(random);
      }
      if (index >= 0) {
        chosen.add(index);
      }
    }
    // Positions are not ordered by relevance (as in KuaiRand's randomly exposed lists), so the
    // CTR by position is the examination curve alone.
    return [...chosen];
  }

  private interestCandidate(user: SimUser): number {
    const random = this.random;
    if (user.favouriteCreators.size > 0 && random() < 0.2) {
      const creator = pick(random, [...user.favouriteCreators]);
      const own = this.creatorVideos.get(creator);
      if (own !== undefined && own.length > 0) {
        return pick(random, own);
      }
    }
    const category = drawIndex(random, user.interests);
    const index = this.popularity.sampleInCategory(random, category);
    return index >= 0 ? index : this.popularity.sample(random);
  }

  /** One playback: click, heartbeats every interval from 0, the watch end, engagements. */
  private play(
    viewing: { user: SimUser; video: SimVideo; affinity: number },
    shown: { requestId: string; position: number; surface: Surface },
    clickTime: number,
  ): { events: number; end: number } {
    const random = this.random;
    const p = this.parameters;
    const { user, video } = viewing;
    this.emit(clickTime, {
      kind: 'clicks',
      value: {
        requestId: shown.requestId,
        userId: user.id,
        videoId: video.id,
        position: shown.position,
        surface: shown.surface,
        eventTime: clickTime,
      },
    });
    let events = 1;
    const sessionId = `s-${this.sessions++}`;
    const start = clickTime + 200 + Math.round(600 * random());
    const ratio = watchRatio(random, { affinity: viewing.affinity, durationMs: video.durationMs });
    const watchedMs = Math.max(300, Math.round(ratio * video.durationMs));
    for (let played = 0; played < watchedMs; played += p.heartbeatIntervalMs) {
      this.emit(start + played, {
        kind: 'watchHeartbeats',
        value: {
          userId: user.id,
          videoId: video.id,
          sessionId,
          watchedMs: played,
          eventTime: start + played,
        },
      });
      events++;
    }
    const end = start + watchedMs;
    if (random() >= p.lostWatchEndProbability) {
      this.emit(end, {
        kind: 'watchEnds',
        value: {
          userId: user.id,
          videoId: video.id,
          sessionId,
          watchedMs,
          videoDurationMs: video.durationMs,
          reason: ratio >= 1 ? 'COMPLETED' : random() < 0.1 ? 'CLOSED' : 'SWIPED_AWAY',
          requestId: shown.requestId,
          eventTime: end,
        },
      });
      events++;
    }
    const odds = engagementOdds({
      affinity: viewing.affinity,
      ratio,
      favouriteCreator: user.favouriteCreators.has(video.creatorId),
    });
    const kinds: readonly [EngagementType, number][] = [
      ['LIKE', odds.like],
      ['SHARE', odds.share],
      ['FOLLOW', odds.follow],
      ['DISLIKE', odds.dislike],
    ];
    let at = end + 500;
    for (const [type, chance] of kinds) {
      if (random() < chance) {
        at += Math.round(2000 * random());
        this.emitEngagement({ user, video, requestId: shown.requestId }, type, at);
        events++;
      }
    }
    return { events, end: Math.max(end, at) + 500 };
  }

  private emitEngagement(
    target: { user: SimUser; video: SimVideo; requestId: string },
    type: EngagementType,
    time: number,
  ): void {
    this.emit(time, {
      kind: 'engagements',
      value: {
        userId: target.user.id,
        videoId: target.video.id,
        creatorId: target.video.creatorId,
        type,
        requestId: target.requestId,
        eventTime: time,
      },
    });
  }

  /** A creator uploads a video: a catalogue record; it enters popularity in the tail. */
  private upload(time: number): void {
    const random = this.random;
    const population = this.population;
    const creator = population.creators[this.creatorSampler.sample(random)];
    if (creator !== undefined) {
      const categoryIndex =
        random() < 0.8 ? creator.homeCategory : drawIndex(random, population.categoryWeights);
      const video: SimVideo = {
        id: `v-${this.videos.length}`,
        creatorId: creator.id,
        durationMs: sampleDurationMs(random),
        categoryIndex,
        tags: builtInTags(random, population.categories[categoryIndex] ?? 'cat'),
        region: creator.region,
        uploadTime: time,
        quality: sampleQuality(random),
      };
      const rank = Math.floor(this.videos.length * (0.2 + 0.8 * random()));
      const index = this.addVideo(video, rank);
      this.fresh.push(index);
      if (this.fresh.length > freshWindow) {
        this.fresh.shift();
      }
      this.emit(time, { kind: 'videoCatalog', value: this.uploadRecord(video, time) });
    }
    this.queue.push(time + this.uploadGap(), { type: 'upload' });
  }

  /** The catalogue record of a video. */
  private uploadRecord(video: SimVideo, eventTime: number): VideoUpload {
    return {
      videoId: video.id,
      creatorId: video.creatorId,
      durationMs: video.durationMs,
      category: this.population.categories[video.categoryIndex] ?? 'unknown',
      tags: video.tags,
      region: video.region,
      uploadTime: video.uploadTime,
      eventTime,
    };
  }

  private uploadGap(): number {
    return Math.max(1, Math.round(exponential(this.random, 3_600_000 / this.uploadsPerHour)));
  }

  /** Popularity drifts, viral boosts decay, and sometimes a new video goes viral. */
  private tick(time: number): void {
    const random = this.random;
    const interval = this.parameters.driftIntervalMs;
    this.popularity.drift(random);
    this.popularity.decayVirals(interval);
    const chance = 1 - Math.exp((-this.parameters.viralsPerHour * interval) / 3_600_000);
    if (random() < chance) {
      const index =
        random() < 0.5 && this.fresh.length > 0
          ? pick(random, this.fresh)
          : this.popularity.sample(random);
      if (index >= 0) {
        this.popularity.startViral(index);
      }
    }
    this.queue.push(time + interval, { type: 'tick' });
  }
}

/** The first `count` items. */
export function* take<TItem>(items: Iterable<TItem>, count: number): Generator<TItem> {
  if (count <= 0) {
    return;
  }
  let taken = 0;
  for (const item of items) {
    yield item;
    if (++taken >= count) {
      return;
    }
  }
}

/** The events before `endTime` (event time, exclusive). */
export function* until(
  events: Iterable<GeneratedEvent>,
  endTime: number,
): Generator<GeneratedEvent> {
  for (const event of events) {
    if (event.value.eventTime >= endTime) {
      return;
    }
    yield event;
  }
}
