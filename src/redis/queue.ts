import { QueueEmpty, QueueFull, QueueShutDown } from "../api/errors.ts";
import type { PriorityQueueOptions, WaitOptions } from "../api/options.ts";
import { admit } from "../internal/checks.ts";
import { currentCall, point, probe, timeoutOf, traceAsync } from "../internal/probe.ts";
import { decodeItem, encodeItem, sortKey } from "./codec.ts";
import { Named, type RedisOptions } from "./named.ts";
import { Script } from "./script.ts";
import { QUEUE } from "./scripts/queue.ts";
import { PENDING, type Pending } from "./waker.ts";

const SCRIPT = new Script(QUEUE);

type Kind = "fifo" | "lifo" | "prio";
type Reply = [number, string?];

/**
 * queue.Queue across processes: `new Queue<T>(maxsize, { name, client })`, carrying JSON values. An item put
 * while getters wait goes to the longest-waiting getter, a freed slot to the longest-waiting putter;
 * taskDone/join and shutdown(immediate) are Python 3.13's. Every process using a name must give the same
 * maxsize. An item handed to a getter whose process died before taking it goes back to the queue.
 */
export class Queue<T> extends Named implements AsyncIterable<T> {
  readonly maxsize: number;
  protected readonly script = SCRIPT;
  protected readonly keys: string[];
  protected readonly kind: Kind = "fifo";

  constructor(maxsize = 0, options?: RedisOptions) {
    if (typeof maxsize !== "number" || Number.isNaN(maxsize)) throw new TypeError("maxsize must be a number");
    super(options, new.target.name);
    this.maxsize = maxsize;
    this.keys = [
      `${this.tag}:q:items`,
      `${this.tag}:q:meta`,
      `${this.tag}:q:seq`,
      ...this.line("q:get"),
      ...this.line("q:put"),
      ...this.line("q:join"),
    ];
  }

  private op(op: string, args: (string | number)[]): Promise<unknown> {
    return this.call(op, [this.kind, this.maxsize > 0 ? Math.ceil(this.maxsize) : 0, ...args]);
  }

  /** The member or payload, kind tag and payload of an item; throws a TypeError for an item the queue cannot carry. */
  private encode(item: T): [string, string, string] {
    const payload = encodeItem(item);
    if (this.kind !== "prio") return [payload, "", ""];
    const key = sortKey(item);
    return [key, key[0]!, payload];
  }

  /**
   * Puts `item`, waiting for a free slot; QueueFull on timeout, QueueShutDown once shut down. Cancel-safe.
   * @example
   * ```ts
   * await queue.put(job, { timeout: 1000 });
   * ```
   */
  put(item: T, opts?: WaitOptions): Promise<void> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    let encoded: [string, string, string];
    try {
      encoded = this.encode(item);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.putMs(encoded, ms, opts?.signal);
  }

  putNowait(item: T): Promise<void> {
    return this.putMs(this.encode(item), 0, undefined);
  }

  /**
   * Gets the next item, waiting for one; QueueEmpty on timeout, QueueShutDown once shut down and empty.
   * Cancel-safe: on abort it rejects with `signal.reason` and takes no item.
   * @example
   * ```ts
   * const job = await queue.get({ timeout: 1000 });
   * ```
   */
  get(opts?: WaitOptions): Promise<T> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    return this.getMs(ms, opts?.signal);
  }

  getNowait(): Promise<T> {
    return this.getMs(0, undefined);
  }

  qsize(): Promise<number> {
    return this.op("size", []).then(Number);
  }

  empty(): Promise<boolean> {
    return this.qsize().then((n) => n === 0);
  }

  full(): Promise<boolean> {
    return this.qsize().then((n) => this.maxsize > 0 && n >= this.maxsize);
  }

  /** Marks one item got as handled; ValueError('taskDone() called too many times') past the items put. */
  taskDone(): Promise<void> {
    return this.op("taskdone", []).then(() => {});
  }

  /**
   * Resolves true once every item put has been marked done, false after the timeout. Cancel-safe.
   * @example
   * ```ts
   * await queue.join();
   * ```
   */
  async join(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this)
      return traceAsync(this, this._traced("queue"), "join", timeoutOf(opts), this.join, opts);
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    const signal = opts?.signal;
    const got = await this.waitOn("join", [], "j", ms, signal);
    return got !== null;
  }

  /** Python 3.13's shutdown: puts fail, gets drain then fail; `immediate` drops the items left. */
  shutdown(immediate = false): Promise<void> {
    return this.op("shutdown", [immediate ? 1 : 0]).then(() => {
      if (probe.on) point(this._traced("queue"), "shutdown");
    });
  }

  /** Gets items until the queue is shut down and drained, marking each done when the loop moves on. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (error) {
        if (error instanceof QueueShutDown) return;
        throw error;
      }
      try {
        yield item;
      } finally {
        await this.taskDone();
      }
    }
  }

  private async putMs(encoded: [string, string, string], ms: number, signal: AbortSignal | undefined) {
    if (probe.on && probe.self !== this) {
      const traced = traceAsync(this, this._traced("queue"), "put", ms, this.putTraced, encoded, [
        ms,
        signal,
      ]);
      return traced as Promise<void>;
    }
    const got = await this.waitOn(
      "put",
      [encoded[0], ms > 0 ? 1 : 0, encoded[1], encoded[2]],
      "p",
      ms,
      signal,
    );
    if (got === null) throw new QueueFull();
  }

  /** putMs with its timeout and signal in one argument, for traceAsync's two. */
  private putTraced(
    encoded: [string, string, string],
    rest: [number, AbortSignal | undefined],
  ): Promise<void> {
    return this.putMs(encoded, rest[0], rest[1]);
  }

  private async getMs(ms: number, signal: AbortSignal | undefined): Promise<T> {
    if (probe.on && probe.self !== this)
      return traceAsync(this, this._traced("queue"), "get", ms, this.getMs, ms, signal) as Promise<T>;
    const got = await this.waitOn("get", [ms > 0 ? 1 : 0], "g", ms, signal);
    if (got === null) throw new QueueEmpty();
    return decodeItem<T>(got);
  }

  /** One call that may wait in line `which`: resolves the ticket's payload ('' if none), or null on timeout. */
  private async waitOn(
    op: string,
    args: (string | number)[],
    which: string,
    ms: number,
    signal: AbortSignal | undefined,
  ): Promise<string | null> {
    const call = probe.on ? currentCall() : undefined;
    if (ms > 0 && !this._waker.listening) await this._waker.ready();
    const waiter = this._waker.begin(call);
    const ask = () =>
      this.op(op, [waiter.id, ...(op === "join" ? [ms > 0 ? 1 : 0] : args)]) as Promise<Reply>;
    const ticket = (r: Reply): string | Pending => (r[0] === 1 ? (r[1] ?? "") : PENDING);
    try {
      const first = await this._waker.first(ask, ms);
      if (first[0] === 1) return first[1] ?? "";
      if (first[0] === -1) return this._waker.refused(waiter, null);
      return await this._waker.park(waiter, ms, signal, {
        claim: async () => {
          const r = (await this.op("claim", [waiter.id, which])) as Reply;
          return ticket(r[0] === -2 ? await ask() : r);
        },
        timeout: async () => {
          const r = ticket((await this.op("cancel", [waiter.id, which])) as Reply);
          return r === PENDING ? null : r;
        },
        abort: async () => {
          const r = ticket((await this.op("cancel", [waiter.id, which])) as Reply);
          if (r === PENDING) throw signal!.reason;
          return r;
        },
        // A putter's ('p': its item went in), a joiner's ('j') or a shutdown ('x'); items are claimed.
        receive: (t) => {
          void this.acknowledge([this.kind, 0, waiter.id, which, t]); // maxsize plays no part in it
          if (t === "x") throw new QueueShutDown("the queue is shut down");
          return "";
        },
      });
    } finally {
      this._waker.end(waiter);
    }
  }
}

/** queue.LifoQueue across processes: the newest item first. */
export class LifoQueue<T> extends Queue<T> {
  protected override readonly kind: Kind = "lifo";
}

/**
 * queue.PriorityQueue across processes: the lowest item first, equal ones in the order they were put. Items
 * are ordered by numbers, strings or arrays of them, one kind per queue (a compare function cannot travel
 * between processes).
 */
export class PriorityQueue<T> extends Queue<T> {
  protected override readonly kind: Kind = "prio";
  constructor(maxsize = 0, options?: PriorityQueueOptions<T> & RedisOptions) {
    if (options?.compare !== undefined) {
      throw new TypeError(
        "a PriorityQueue on Redis orders by the items themselves: a compare function cannot travel between processes",
      );
    }
    super(maxsize, options);
  }
}

/** queue.SimpleQueue across processes: an unbounded FIFO queue without taskDone/join. */
export class SimpleQueue<T> {
  private readonly queue: Queue<T>;
  constructor(options: RedisOptions) {
    this.queue = new Queue<T>(0, options);
  }
  get name(): string {
    return this.queue.name;
  }
  /**
   * Puts `item`.
   * Cancel-safe: on abort it rejects with `signal.reason` and puts nothing.
   * @example
   * ```ts
   * await queue.put(job, { timeout: 1000 });
   * ```
   */
  put(item: T, opts?: WaitOptions): Promise<void> {
    return this.queue.put(item, opts);
  }
  putNowait(item: T): Promise<void> {
    return this.queue.putNowait(item);
  }
  /**
   * Gets the next item, waiting for one; QueueEmpty on timeout.
   * Cancel-safe: on abort it rejects with `signal.reason` and takes no item.
   * @example
   * ```ts
   * const job = await queue.get({ timeout: 1000 });
   * ```
   */
  get(opts?: WaitOptions): Promise<T> {
    return this.queue.get(opts);
  }
  getNowait(): Promise<T> {
    return this.queue.getNowait();
  }
  qsize(): Promise<number> {
    return this.queue.qsize();
  }
  empty(): Promise<boolean> {
    return this.queue.empty();
  }
}
