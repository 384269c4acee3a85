/**
 * The primitive types of Kafka's flexible ("compact") protocol versions, as the protocol guide
 * defines them (https://kafka.apache.org/protocol#protocol_types): unsigned varints, compact
 * strings and arrays (length + 1, 0 for null) and tagged-field sections. Only what the lag
 * monitor's own requests need (consumerGroupDescribeApi.ts, listGroupsApi.ts); kafkajs 2.2.4 has
 * no flexible-version encoder.
 */
export class WireWriter {
  private readonly chunks: Buffer[] = [];

  int8(value: number): this {
    return this.push(Buffer.of(value & 0xff));
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  uvarint(value: number): this {
    const bytes: number[] = [];
    let rest = value;
    while (rest >= 0x80) {
      bytes.push((rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    bytes.push(rest);
    return this.push(Buffer.from(bytes));
  }

  compactString(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    return this.uvarint(bytes.length + 1).push(bytes);
  }

  compactArray<TItem>(items: readonly TItem[], write: (item: TItem) => void): this {
    this.uvarint(items.length + 1);
    items.forEach(write);
    return this;
  }

  /** An empty tagged-field section: this client sends no tagged fields. */
  noTaggedFields(): this {
    return this.uvarint(0);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private push(bytes: Buffer): this {
    this.chunks.push(bytes);
    return this;
  }
}

/** Reads a response body; every read past the end throws a RangeError (a malformed response). */
export class WireReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  /** Bytes read so far. */
  get position(): number {
    return this.offset;
  }

  int8(): number {
    return this.advance(1, (at) => this.buffer.readInt8(at));
  }

  int16(): number {
    return this.advance(2, (at) => this.buffer.readInt16BE(at));
  }

  int32(): number {
    return this.advance(4, (at) => this.buffer.readInt32BE(at));
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  uvarint(): number {
    let value = 0;
    let factor = 1;
    for (let i = 0; i < 5; i++) {
      const byte = this.advance(1, (at) => this.buffer.readUInt8(at));
      value += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) {
        return value;
      }
      factor *= 128;
    }
    throw new RangeError('unsigned varint longer than 5 bytes');
  }

  compactNullableString(): string | null {
    const length = this.uvarint() - 1;
    if (length < 0) {
      return null;
    }
    return this.advance(length, (at) => this.buffer.toString('utf8', at, at + length));
  }

  compactString(): string {
    const value = this.compactNullableString();
    if (value === null) {
      throw new RangeError('null where the protocol has a non-nullable string');
    }
    return value;
  }

  uuid(): Buffer {
    return this.advance(16, (at) => this.buffer.subarray(at, at + 16));
  }

  /** A compact array; null (length 0) reads as empty. */
  compactArray<TItem>(read: () => TItem): TItem[] {
    const length = this.uvarint() - 1;
    return Array.from({ length: Math.max(0, length) }, read);
  }

  /** Skips a tagged-field section: fields a newer broker adds that this version does not know. */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      const size = this.uvarint();
      this.advance(size, () => undefined);
    }
  }

  private advance<TValue>(size: number, read: (at: number) => TValue): TValue {
    if (this.offset + size > this.buffer.length) {
      throw new RangeError(`response ends at byte ${this.buffer.length}, wanted ${size} more`);
    }
    const value = read(this.offset);
    this.offset += size;
    return value;
  }
}
