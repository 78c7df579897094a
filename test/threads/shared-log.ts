/**
 * TEST-ONLY stand-in for a threads-tier SimpleQueue<string>, which this tier does not have yet: the contract
 * suites use `tier.SimpleQueue()` as a log that agents append to and the test reads back. It keeps a JSON
 * array in a SharedArrayBuffer guarded by a threads RLock, with a threads Condition for `get()`. Only what the
 * suites do with logs works (putNowait, put, getNowait, get, qsize, empty). Replace with the real SimpleQueue
 * once it exists.
 */
import { QueueEmpty } from "../../src/api/errors.ts";
import type { WaitOptions } from "../../src/api/options.ts";
import type * as api from "../../src/api/primitives.ts";
import { Condition } from "../../src/threads/condition.ts";
import { fromHandle, type Handle, toHandle } from "../../src/threads/handle.ts";
import { RLock } from "../../src/threads/rlock.ts";

const BYTES = 64 * 1024;

export interface SharedLogWire {
  sharedLog: SharedArrayBuffer;
  cond: Handle<"Condition">;
}

export class SharedLog implements api.SimpleQueue<string> {
  private readonly bytes: Uint8Array;
  private readonly length: Int32Array;

  constructor(
    private readonly buffer = new SharedArrayBuffer(4 + BYTES),
    private readonly cond = new Condition(new RLock()),
  ) {
    this.length = new Int32Array(buffer, 0, 1);
    this.bytes = new Uint8Array(buffer, 4);
  }

  static isWire(value: unknown): value is SharedLogWire {
    return typeof value === "object" && value !== null && "sharedLog" in value;
  }

  static fromWire(wire: SharedLogWire): SharedLog {
    return new SharedLog(wire.sharedLog, fromHandle(wire.cond));
  }

  toWire(): SharedLogWire {
    return { sharedLog: this.buffer, cond: toHandle(this.cond) };
  }

  putNowait(item: string): void {
    this.update((items) => {
      items.push(item);
    });
  }

  getNowait(): string {
    let item: string | undefined;
    this.update((items) => {
      if (items.length === 0) throw new QueueEmpty();
      item = items.shift();
    });
    return item as string;
  }

  qsize(): number {
    let n = 0;
    this.update((items) => {
      n = items.length;
    });
    return n;
  }

  empty(): boolean {
    return this.qsize() === 0;
  }

  /** Unbounded: never waits. */
  async put(item: string): Promise<void> {
    this.putNowait(item);
  }

  async get(opts?: WaitOptions): Promise<string> {
    await this.cond.acquire();
    try {
      if (!(await this.cond.waitFor(() => this.qsize() > 0, opts))) throw new QueueEmpty();
      return this.getNowait();
    } finally {
      this.cond.release();
    }
  }

  private update(fn: (items: string[]) => void): void {
    this.cond.acquireSync();
    try {
      const n = Atomics.load(this.length, 0);
      const items = n === 0 ? [] : (JSON.parse(new TextDecoder().decode(this.bytes.slice(0, n))) as string[]);
      fn(items);
      const encoded = new TextEncoder().encode(JSON.stringify(items));
      this.bytes.set(encoded);
      Atomics.store(this.length, 0, encoded.length);
      this.cond.notifyAll();
    } finally {
      this.cond.release();
    }
  }
}
