/**
 * A growing column of measurements, 4 bytes a value (float32: milliseconds and seconds need no
 * more). The demo records every request of a run that may last an hour, in the same process as
 * the serving job whose memory trend it judges; kept as an array of objects, a request's sample
 * cost about 200 bytes (the object and a boxed double per field), which made the recorders'
 * own growth a fifth of what the serving process's trend measured (issue 17, item 6).
 */
export class SampleColumn {
  #values = new Float32Array(1024);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float32Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length] = value;
    this.#length += 1;
  }

  /** The value at `index`; NaN past the end. */
  at(index: number): number {
    return index < this.#length ? (this.#values[index] ?? NaN) : NaN;
  }

  /** The values, sorted ascending (a copy), or those `where` picks by index. */
  sorted(where?: (index: number) => boolean): Float32Array {
    let values: Float32Array;
    if (where === undefined) {
      values = this.#values.slice(0, this.#length);
    } else {
      values = new Float32Array(this.#length);
      let kept = 0;
      for (let i = 0; i < this.#length; i++) {
        if (where(i)) {
          values[kept] = this.#values[i] ?? NaN;
          kept += 1;
        }
      }
      values = values.subarray(0, kept);
    }
    return values.sort();
  }
}

/** Nearest rank of ascending `sorted`; NaN when empty. */
export function percentileOf(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ??
    NaN
  );
}
