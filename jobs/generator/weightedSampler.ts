import type { Random } from './distributions.js';

/**
 * Samples an index with probability proportional to its weight, with weights that change over
 * time and a list that grows: a Fenwick (binary indexed) tree, so sampling, updating a weight
 * and appending are all O(log n). What popularity drift, viral boosts and new uploads need.
 */
export class WeightedSampler {
  private tree: Float64Array;
  private weights: Float64Array;
  private count = 0;
  private sum = 0;

  constructor(initialCapacity = 1024) {
    const capacity = Math.max(1, initialCapacity);
    this.tree = new Float64Array(capacity + 1);
    this.weights = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  get total(): number {
    return this.sum;
  }

  /** Adds an item with the given weight; returns its index. */
  push(weight: number): number {
    if (this.count === this.weights.length) {
      this.grow();
    }
    const index = this.count++;
    this.add(index, weight);
    this.weights[index] = weight;
    return index;
  }

  weight(index: number): number {
    return this.weights[index] ?? 0;
  }

  set(index: number, weight: number): void {
    if (index < 0 || index >= this.count) {
      throw new RangeError(`no item ${index} (size ${this.count})`);
    }
    this.add(index, weight - (this.weights[index] ?? 0));
    this.weights[index] = weight;
  }

  /** An index drawn by weight; -1 when the total weight is 0. */
  sample(random: Random): number {
    if (this.count === 0 || this.sum <= 0) {
      return -1;
    }
    let target = random() * this.sum;
    let position = 0;
    let step = 1;
    while (step * 2 <= this.count) {
      step *= 2;
    }
    for (; step > 0; step >>= 1) {
      const next = position + step;
      const partial = this.tree[next] ?? 0;
      if (next <= this.count && partial <= target) {
        position = next;
        target -= partial;
      }
    }
    // Rounding can walk past the last positive weight; step back to one that can be drawn.
    let index = Math.min(position, this.count - 1);
    while (index > 0 && (this.weights[index] ?? 0) <= 0) {
      index--;
    }
    return index;
  }

  private add(index: number, delta: number): void {
    this.sum += delta;
    for (let i = index + 1; i < this.tree.length; i += i & -i) {
      this.tree[i] = (this.tree[i] ?? 0) + delta;
    }
  }

  private grow(): void {
    const weights = new Float64Array(this.weights.length * 2);
    weights.set(this.weights);
    this.weights = weights;
    this.tree = new Float64Array(weights.length + 1);
    const count = this.count;
    this.count = 0;
    this.sum = 0;
    for (let i = 0; i < count; i++) {
      this.add(i, weights[i] ?? 0);
    }
    this.count = count;
  }
}
