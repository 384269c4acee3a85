/** One page of a range: its entries, and the cursor of the next page (none after the last). */
export interface RangePage<TKey, TValue> {
  readonly entries: [TKey, TValue][];
  readonly next: string | undefined;
}

/**
 * Every entry of a range, asking `rangePage` for one page after another with the previous
 * page's cursor, so a caller walks a whole store without holding it: what `StoreQuery` and
 * `RemoteStore` both offer as `entries()`.
 */
export async function* pagedEntries<TKey, TValue, TBounds extends object>(
  rangePage: (
    bounds: TBounds & { after?: string; limit?: number },
  ) => Promise<RangePage<TKey, TValue>>,
  bounds: TBounds & { pageSize?: number },
): AsyncGenerator<[TKey, TValue]> {
  const { pageSize, ...range } = bounds;
  let after: string | undefined;
  do {
    const page = await rangePage({
      ...(range as TBounds),
      ...(after === undefined ? {} : { after }),
      ...(pageSize === undefined ? {} : { limit: pageSize }),
    });
    yield* page.entries;
    after = page.next;
  } while (after !== undefined);
}
