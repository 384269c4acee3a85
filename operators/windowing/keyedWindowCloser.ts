import type { TaskStore } from '../state/taskStore.js';
import {
  endIndexBefore,
  endIndexKey,
  keyedWindowKey,
  parseKeyedWindowKey,
  windowKeyOfIndex,
} from './windowStoreLayout.js';

/** A keyed window as stored: its key bytes and its bounds (both inclusive). */
export interface StoredWindow {
  readonly key: Buffer;
  readonly start: number;
  readonly end: number;
}

/**
 * Writes and closes the key-first windows (sliding and session) together with their index by
 * end time, so closing the windows that stream time has passed is a range scan of the index.
 */
export class KeyedWindowStore {
  private readonly store: TaskStore;
  /**
   * No window in the index ends before this (-Infinity until a close has run): closing scans
   * from here, past the index entries earlier closes deleted, which RocksDB keeps as
   * tombstones until compaction and a scan from the start would walk every time.
   */
  private closedBelow = Number.NEGATIVE_INFINITY;

  constructor(store: TaskStore) {
    this.store = store;
  }

  put(window: StoredWindow, value: Uint8Array): void {
    this.closedBelow = Math.min(this.closedBelow, window.end);
    const storeKey = keyedWindowKey(window.key, window);
    this.store.put(storeKey, value);
    this.store.put(endIndexKey(window.end, storeKey), Buffer.alloc(1));
  }

  remove(window: StoredWindow): void {
    const storeKey = keyedWindowKey(window.key, window);
    this.store.delete(storeKey);
    this.store.delete(endIndexKey(window.end, storeKey));
  }

  /**
   * Removes every window with end < `endBelow`, calling `onClose` with each and its value
   * first, oldest end first.
   */
  async closeBefore(
    endBelow: number,
    onClose: (window: StoredWindow, value: Buffer | undefined) => void,
  ): Promise<void> {
    const closing: StoredWindow[] = [];
    for await (const [indexKey] of this.store.range(endIndexBefore(endBelow, this.closedBelow))) {
      closing.push(parseKeyedWindowKey(windowKeyOfIndex(indexKey)));
    }
    for (const window of closing) {
      onClose(window, await this.store.get(keyedWindowKey(window.key, window)));
      this.remove(window);
    }
    // onClose may not put windows (it reports them), so nothing is left below endBelow.
    this.closedBelow = Math.max(this.closedBelow, endBelow);
  }
}
