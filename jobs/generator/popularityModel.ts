import { normal, zipfWeight, type Random } from './distributions.js';
import type { ModelParameters } from './modelParameters.js';
import { WeightedSampler } from './weightedSampler.js';

/** A video whose exposure is boosted for a while. */
interface ViralBoost {
  readonly video: number;
  boost: number;
}

/**
 * Exposure weights of the catalogue: Zipf over popularity ranks at the start, then a random
 * walk of log-popularity with mean reversion (drift), temporary viral boosts that decay, and new
 * uploads entering at a rank in the tail. Samples videos globally or within one category.
 */
export class PopularityModel {
  private readonly parameters: ModelParameters;
  private readonly global = new WeightedSampler(4096);
  private readonly byCategory: WeightedSampler[] = [];
  /** Per category: slot in its sampler → video index. */
  private readonly categoryMembers: number[][] = [];
  /** Per video: its category and slot in that category's sampler. */
  private readonly slots: { category: number; slot: number }[] = [];
  private readonly logBase: number[] = [];
  private readonly logInitial: number[] = [];
  private readonly virals = new Map<number, ViralBoost>();

  constructor(parameters: ModelParameters, categories: number) {
    this.parameters = parameters;
    for (let c = 0; c < categories; c++) {
      this.byCategory.push(new WeightedSampler(256));
      this.categoryMembers.push([]);
    }
  }

  get size(): number {
    return this.global.size;
  }

  /** Adds video `index` (the next index) at a popularity rank; returns its weight. */
  add(options: { category: number; rank: number }): number {
    const weight = zipfWeight(options.rank, this.parameters.zipfExponent);
    const index = this.global.push(weight);
    const sampler = this.byCategory[options.category];
    const members = this.categoryMembers[options.category];
    if (sampler === undefined || members === undefined) {
      throw new RangeError(`no category ${options.category}`);
    }
    this.slots[index] = { category: options.category, slot: sampler.push(weight) };
    members.push(index);
    this.logBase[index] = Math.log(weight);
    this.logInitial[index] = Math.log(weight);
    return weight;
  }

  sample(random: Random): number {
    return this.global.sample(random);
  }

  /** A video of `category` by popularity; -1 when the category is empty. */
  sampleInCategory(random: Random, category: number): number {
    const slot = this.byCategory[category]?.sample(random) ?? -1;
    return slot < 0 ? -1 : (this.categoryMembers[category]?.[slot] ?? -1);
  }

  /** The current exposure weight of a video. */
  weight(index: number): number {
    return this.global.weight(index);
  }

  /** One drift step: a random share of the catalogue takes a mean-reverting log-normal step. */
  drift(random: Random): void {
    const p = this.parameters;
    const steps = Math.ceil(this.global.size * p.driftFraction);
    for (let i = 0; i < steps; i++) {
      const index = Math.floor(random() * this.global.size);
      const current = this.logBase[index] ?? 0;
      const initial = this.logInitial[index] ?? 0;
      this.logBase[index] =
        current + p.driftSigma * normal(random) - p.driftReversion * (current - initial);
      this.refresh(index);
    }
  }

  /** Makes a video viral: at the peak it takes `viralPeakShare` of all exposure. */
  startViral(index: number): void {
    const base = Math.exp(this.logBase[index] ?? 0);
    const share = this.parameters.viralPeakShare;
    const others = this.global.total - this.global.weight(index);
    this.virals.set(index, {
      video: index,
      boost: Math.max(1, (share * others) / (1 - share) / base),
    });
    this.refresh(index);
  }

  /** Decays the viral boosts by `elapsedMs`; a boost that fell below 1.05 ends. */
  decayVirals(elapsedMs: number): void {
    const factor = Math.pow(0.5, elapsedMs / this.parameters.viralHalfLifeMs);
    for (const viral of [...this.virals.values()]) {
      viral.boost *= factor;
      if (viral.boost < 1.05) {
        this.virals.delete(viral.video);
      }
      this.refresh(viral.video);
    }
  }

  /** Videos boosted now. */
  viralVideos(): number[] {
    return [...this.virals.keys()];
  }

  private refresh(index: number): void {
    const weight = Math.exp(this.logBase[index] ?? 0) * (this.virals.get(index)?.boost ?? 1);
    this.global.set(index, weight);
    const slot = this.slots[index];
    if (slot !== undefined) {
      this.byCategory[slot.category]?.set(slot.slot, weight);
    }
  }
}
