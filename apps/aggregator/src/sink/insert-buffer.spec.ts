import { describe, expect, it } from 'vitest';
import { InsertBuffer, InsertBufferStoppedError } from './insert-buffer.js';
import type { StoredEvent } from './rollup-sink.js';

/** Rows are opaque to the buffer: offsets tell them apart. */
const rows = (from: number, n: number): StoredEvent[] => Array.from({ length: n }, (_, i) => ({ offset: BigInt(from + i) }) as StoredEvent);

/** A write that records each insert and holds it until released. */
function heldWrites() {
  const inserts: bigint[][] = [];
  const releases: (() => void)[] = [];
  const write = (batch: readonly StoredEvent[]) => {
    inserts.push(batch.map((r) => r.offset));
    return new Promise<void>((r) => releases.push(r));
  };
  const releaseNext = async () => {
    releases.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { inserts, write, releaseNext };
}

describe('InsertBuffer', () => {
  it('sends full buffers one insert at a time, each taking all the rows that arrived during the previous one', async () => {
    const w = heldWrites();
    const buffer = new InsertBuffer(w.write, { maxRows: 2, maxDelayMs: 60_000, maxUnstoredRows: 100 });
    const a = buffer.add(rows(0, 2)); // full: goes out at once
    const b = buffer.add(rows(2, 2)); // full, but waits for the insert in flight
    const c = buffer.add(rows(4, 1));
    expect(w.inserts).toEqual([[0n, 1n]]);
    await w.releaseNext();
    await a;
    expect(w.inserts).toEqual([[0n, 1n], [2n, 3n, 4n]]);
    await w.releaseNext();
    await Promise.all([b, c]);
    expect(buffer.unstoredRows).toBe(0);
  });

  it('sends a partial buffer after the delay, and at once when asked to drain', async () => {
    const w = heldWrites();
    const buffer = new InsertBuffer(w.write, { maxRows: 100, maxDelayMs: 30, maxUnstoredRows: 1000 });
    void buffer.add(rows(0, 1));
    expect(w.inserts).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(w.inserts).toEqual([[0n]]);
    await w.releaseNext();
    buffer.flush();
    void buffer.add(rows(1, 1));
    expect(w.inserts).toEqual([[0n], [1n]]);
    await w.releaseNext();
    buffer.gather();
    const gathered = buffer.add(rows(2, 1));
    expect(w.inserts).toHaveLength(2);
    buffer.stop();
    await expect(gathered).rejects.toBeInstanceOf(InsertBufferStoppedError);
  });

  it('makes room() wait while too many rows are unstored, and stored() wait for every row added before it', async () => {
    const w = heldWrites();
    const buffer = new InsertBuffer(w.write, { maxRows: 2, maxDelayMs: 60_000, maxUnstoredRows: 3 });
    void buffer.add(rows(0, 2));
    void buffer.add(rows(2, 2));
    let roomy = false;
    const room = buffer.room().then(() => (roomy = true));
    let allStored = false;
    const stored = buffer.stored().then(() => (allStored = true));
    await new Promise((r) => setImmediate(r));
    expect([roomy, allStored]).toEqual([false, false]);
    await w.releaseNext(); // 2 rows left unstored: room again
    await room;
    expect(allStored).toBe(false);
    await w.releaseNext();
    await stored;
    expect(buffer.unstoredRows).toBe(0);
  });

  it('retries a failed insert with the same rows, and rejects what is not stored when stopped', async () => {
    const attempts: number[] = [];
    let fail = true;
    const buffer = new InsertBuffer(
      async (batch) => {
        attempts.push(batch.length);
        if (fail) throw new Error('ClickHouse unavailable');
      },
      { maxRows: 1, maxDelayMs: 60_000, maxUnstoredRows: 10, backoffMs: 5, maxBackoffMs: 5 },
    );
    const first = buffer.add(rows(0, 1));
    await new Promise((r) => setTimeout(r, 30));
    fail = false;
    await first;
    expect(attempts.length).toBeGreaterThan(1);
    expect(new Set(attempts)).toEqual(new Set([1]));

    fail = true;
    const second = buffer.add(rows(1, 1));
    const later = buffer.add(rows(2, 1));
    await new Promise((r) => setTimeout(r, 20));
    buffer.stop();
    await expect(second).rejects.toBeInstanceOf(InsertBufferStoppedError);
    await expect(later).rejects.toBeInstanceOf(InsertBufferStoppedError);
    await expect(buffer.add(rows(3, 1))).rejects.toBeInstanceOf(InsertBufferStoppedError);
  });
});
