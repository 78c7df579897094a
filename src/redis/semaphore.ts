import type { WaitOptions } from "../api/options.ts";
import { admit, checkCount } from "../internal/checks.ts";
import { currentCall, point, probe, traceAsync } from "../internal/probe.ts";
import { Held, type Holdable, hold, run } from "./guard.ts";
import { type Lease, LeaseLostEvent } from "./lease.ts";
import { Named, type RedisOptions } from "./named.ts";
import { Script } from "./script.ts";
import { SEMAPHORE } from "./scripts/semaphore.ts";
import { PENDING, type Pending } from "./waker.ts";

const SCRIPT = new Script(SEMAPHORE);

type Reply = [number, string?];

/**
 * threading.Semaphore across processes: `new Semaphore(value, { name, client })` (the first process to use
 * the name sets the value). Each permit is a grant with a lease and a fencing token, renewed while its
 * holder lives and taken back when it dies. Permits are handed to the longest waiter first. `release(n)` by
 * any process gives back n permits: this process's own first, then the grants held longest elsewhere (all
 * permits are alike, as in Python); beyond those, an unbounded Semaphore grows.
 */
export class Semaphore extends Named implements Holdable {
  protected readonly script = SCRIPT;
  protected readonly keys: string[];
  private readonly initial: number;
  protected bounded = false;
  private newest: Lease | undefined;

  constructor(value = 1, options?: RedisOptions) {
    checkCount(value, "value", 0);
    super(options, new.target.name);
    this.initial = value;
    this.keys = [
      `${this.tag}:sem`,
      `${this.tag}:sem:meta`,
      `${this.tag}:sem:holders`,
      `${this.tag}:fence`,
      ...this.line("sem"),
    ];
  }

  /** Permits free now (a promise: it is read on the server). */
  get value(): Promise<number> {
    return this.op("value", []).then(Number);
  }

  /** The lease of the newest permit this process holds here: its fencing token and lost-lease signal. */
  get lease(): Lease | undefined {
    return this.newest !== undefined && !this.newest.signal.aborted ? this.newest : undefined;
  }

  /**
   * Waits for the lock or a permit; resolves true, or false on timeout. Cancel-safe: on abort nothing is held.
   * @example
   * ```ts
   * if (await sem.acquire({ timeout: 1000 })) {
   *   try { work(); } finally { await sem.release(); }
   * }
   * ```
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    return this.take(ms, opts?.signal).then((id) => id !== null);
  }

  tryAcquire(): Promise<boolean> {
    return this.take(0, undefined).then((id) => id !== null);
  }

  /** Gives back `n` permits (see the class). A BoundedSemaphore past its value: ValueError, nothing changes. */
  release(n = 1): Promise<void> {
    checkCount(n, "n", 1);
    const own = this._leases.held(this.keys[0]!).reverse().slice(0, n);
    return this.op("release", [n, 0, ...own]).then(() => {
      for (const id of own) this._leases.drop(this.keys[0]!, id);
      if (probe.on) point(this._traced("semaphore"), "release", n);
    });
  }

  /**
   * Waits, then resolves a guard whose release is a round trip: use `await using`. Rejects with TimeoutError on timeout. Cancel-safe: on abort nothing is held.
   * @example
   * ```ts
   * await using _held = await sem.hold({ timeout: 1000 });
   * ```
   */
  hold(opts?: WaitOptions): Promise<Held> {
    return hold(this, opts);
  }

  /**
   * Acquires, runs `fn`, releases (also when `fn` throws) and resolves what `fn` returned. Cancel-safe: on abort `fn` never runs and nothing is held.
   * @example
   * ```ts
   * await sem.run(async () => save(record, sem.lease?.fence));
   * ```
   */
  run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    return run(this, fn, opts);
  }

  /** @internal */
  async _hold(opts: WaitOptions | undefined): Promise<Held | null> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    const id = await this.take(ms, opts?.signal);
    if (id === null) return null;
    return new Held(() =>
      this.op("release", [1, 1, id]).then(() => {
        this._leases.drop(this.keys[0]!, id);
        if (probe.on) point(this._traced("semaphore"), "release");
      }),
    );
  }

  private op(op: string, args: (string | number)[]): Promise<unknown> {
    return this.call(op, [this.initial, this.bounded ? 1 : 0, ...args]);
  }

  /** Resolves the id of the permit granted, or null when refused or timed out. */
  private async take(ms: number, signal: AbortSignal | undefined): Promise<string | null> {
    // Traced here, where acquire, tryAcquire, hold and run all come.
    if (probe.on && probe.self !== this)
      return traceAsync(this, this._traced("semaphore"), "acquire", ms, this.take, ms, signal);
    const call = probe.on ? currentCall() : undefined;
    if (ms > 0 && !this._waker.listening) await this._waker.ready();
    const waiter = this._waker.begin(call);
    const id = waiter.id;
    const ask = () => this.op("acquire", [id, ms > 0 ? 1 : 0]);
    const ticket = (r: Reply): string | Pending => (r[0] === 1 ? this.granted(id, r[1]!) : PENDING);
    try {
      const first = (await this._waker.first(ask, ms)) as Reply;
      if (first[0] === 1) return this.granted(id, first[1]!);
      if (first[0] === -1) return this._waker.refused(waiter, null);
      return await this._waker.park(waiter, ms, signal, {
        claim: async () => {
          const r = (await this.op("claim", [id])) as Reply;
          return ticket(r[0] === -2 ? ((await ask()) as Reply) : r);
        },
        timeout: async () => {
          const r = ticket((await this.op("cancel", [id])) as Reply);
          return r === PENDING ? null : r;
        },
        abort: async () => {
          const r = ticket((await this.op("cancel", [id])) as Reply);
          if (r === PENDING) throw signal!.reason;
          return r;
        },
        receive: (fence) => {
          // The permit is this process's: acknowledged without waiting (see ./waker.ts).
          this.granted(id, fence);
          void this.acknowledge([this.initial, this.bounded ? 1 : 0, id, fence]).then((r) => {
            if (r === 0) this._leases.lose(this.keys[0]!, id);
          });
          return id;
        },
      });
    } finally {
      this._waker.end(waiter);
    }
  }

  private granted(id: string, fence: string): string {
    this.newest = this._leases.hold(
      this.keys[0]!,
      id,
      Number(fence),
      this.leaseMs,
      () => this.op("renew", [id]).then((r) => (r as number[])[0] === 1),
      (lease) => this.dispatchEvent(new LeaseLostEvent(lease)),
    );
    return id;
  }
}

/** threading.BoundedSemaphore: releasing beyond the initial value is a ValueError, and nothing changes. */
export class BoundedSemaphore extends Semaphore {
  constructor(value = 1, options?: RedisOptions) {
    super(value, options);
    this.bounded = true;
  }
}
