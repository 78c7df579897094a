/**
 * Lock and RLock on Redis: one hash with the holder, its depth and its fencing token, expiring with the
 * lease; a FIFO line of acquirers, each handed the lock directly on release (no newcomer barges in).
 * Condition reaches in through the @internal members.
 */
import type { WaitOptions } from "../api/options.ts";
import { admit } from "../internal/checks.ts";
import { currentCall, point, probe, traceAsync } from "../internal/probe.ts";
import { Held, type Holdable, hold, run } from "./guard.ts";
import { type Lease, LeaseLostEvent } from "./lease.ts";
import { Named } from "./named.ts";
import { ownerChain, ownerId } from "./owner.ts";
import { Script } from "./script.ts";
import { LOCK } from "./scripts/lock.ts";
import { PENDING, type Pending } from "./waker.ts";

const SCRIPT = new Script(LOCK);

type Reply = [number, string?, string?, number?, string?];

export abstract class LockBase extends Named implements Holdable {
  /** @internal */ abstract readonly _reentrant: boolean;
  protected readonly script = SCRIPT;
  /** @internal */ readonly keys: string[];
  private newest: Lease | undefined;

  constructor(options: unknown, what: string) {
    super(options, what);
    this.keys = [`${this.tag}:lock`, `${this.tag}:fence`, ...this.line("lock")];
  }

  /** The lease of the newest grant this process holds here: its fencing token and lost-lease signal. */
  get lease(): Lease | undefined {
    return this.newest !== undefined && !this.newest.signal.aborted ? this.newest : undefined;
  }

  /**
   * Waits for the lock; resolves true, or false on timeout. Cancel-safe: on abort nothing is held.
   * @example
   * ```ts
   * if (await lock.acquire({ timeout: 1000 })) {
   *   try { work(); } finally { await lock.release(); }
   * }
   * ```
   */
  acquire(opts?: WaitOptions): Promise<boolean> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    return this.take(ms, opts?.signal).then((fence) => fence !== null);
  }

  /** Takes the lock if it is free and nobody waits; never waits. */
  tryAcquire(): Promise<boolean> {
    return this.take(0, undefined).then((fence) => fence !== null);
  }

  locked(): Promise<boolean> {
    return this.call("locked", []).then((r) => r === 1);
  }

  /**
   * Waits, then resolves a guard whose release is a round trip: use `await using`. Rejects with TimeoutError on timeout. Cancel-safe: on abort nothing is held.
   * @example
   * ```ts
   * await using _held = await lock.hold({ timeout: 1000 });
   * ```
   */
  hold(opts?: WaitOptions): Promise<Held> {
    return hold(this, opts);
  }

  /**
   * Acquires, runs `fn`, releases (also when `fn` throws) and resolves what `fn` returned. Cancel-safe: on abort `fn` never runs and nothing is held.
   * @example
   * ```ts
   * await lock.run(async () => save(record, lock.lease?.fence));
   * ```
   */
  run<T>(fn: () => T | Promise<T>, opts?: WaitOptions): Promise<T> {
    return run(this, fn, opts);
  }

  abstract release(): Promise<void>;

  /** @internal */
  async _hold(opts: WaitOptions | undefined): Promise<Held | null> {
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    const chain = this._reentrant ? ownerChain() : "";
    const fence = await this.take(ms, opts?.signal);
    if (fence === null) return null;
    return new Held(() => this.giveBack(chain, fence));
  }

  /** Gives back the grant `fence` (an RLock: one level of the owner `chain`). */
  protected giveBack(chain: string, fence: string): Promise<void> {
    return this.call("release", [chain, this._reentrant ? 1 : 0, this._reentrant ? "" : fence]).then((r) => {
      const [left, released] = r as [number, string];
      if (left === 0) {
        this._leases.drop(this.keys[0]!, released);
        if (probe.on) this._released();
      }
    });
  }

  /** Reports a release (an RLock's last level) to the probe. */
  private _released(): void {
    point(this._traced(this.kindName()), "release");
  }

  private kindName(): "lock" | "rlock" {
    return this._reentrant ? "rlock" : "lock";
  }

  /** Acquires for the current owner: resolves the grant's fence, or null when refused or timed out. */
  private async take(ms: number, signal: AbortSignal | undefined): Promise<string | null> {
    // Traced here, where acquire, tryAcquire, hold and run all come.
    if (probe.on && probe.self !== this)
      return traceAsync(this, this._traced(this.kindName()), "acquire", ms, this.take, ms, signal);
    const call = probe.on ? currentCall() : undefined;
    const reentrant = this._reentrant;
    const chain = reentrant ? ownerChain() : "";
    if (ms > 0 && !this._waker.listening) await this._waker.ready();
    const waiter = this._waker.begin(call);
    const owner = reentrant ? ownerId() : waiter.id;
    const ask = () => this.call("acquire", [waiter.id, owner, chain, ms > 0 ? 1 : 0, reentrant ? 1 : 0]);
    try {
      const first = (await this._waker.first(ask, ms)) as Reply;
      if (first[0] === 1) return this._granted(first[1]!);
      if (first[0] === -1) return this._waker.refused(waiter, null);
      return await this._waker.park(waiter, ms, signal, {
        claim: async () => {
          const r = (await this.call("claim", [waiter.id])) as Reply;
          if (r[0] === -2) return this.ticket((await ask()) as Reply);
          return this.ticket(r);
        },
        timeout: async () => {
          const r = this.ticket((await this.call("cancel", [waiter.id])) as Reply);
          return r === PENDING ? null : r;
        },
        abort: async () => {
          const r = this.ticket((await this.call("cancel", [waiter.id])) as Reply);
          if (r === PENDING) throw signal!.reason;
          return r;
        },
        receive: (ticket) => this._received(waiter.id, ticket),
      });
    } finally {
      this._waker.end(waiter);
    }
  }

  /**
   * @internal A ticket `fence|owner|count|notified` brought by waiter `id`'s wake-up: the grant is this
   * process's. The ticket is acknowledged without waiting for the reply; a reply saying that the grant
   * lapsed meanwhile loses its lease at once. Returns the fence.
   */
  _received(id: string, ticket: string): string {
    const fence = ticket.slice(0, ticket.indexOf("|"));
    this._granted(fence);
    void this.acknowledge([id, ticket]).then((r) => {
      if (r === 0) this._leases.lose(this.keys[0]!, fence);
    });
    return fence;
  }

  private ticket(r: Reply): string | Pending {
    return r[0] === 1 ? this._granted(r[1]!) : PENDING;
  }

  /** @internal A grant of this process: renew its lease while it is held. */
  _granted(fence: string): string {
    const key = this.keys[0]!;
    this.newest = this._leases.hold(
      key,
      fence,
      Number(fence),
      this.leaseMs,
      () => this.call("renew", [fence]).then((r) => r === 1),
      (lease) => this.dispatchEvent(new LeaseLostEvent(lease)),
    );
    return fence;
  }

  /** @internal A grant given back by a Condition's wait. */
  _dropped(fence: string): void {
    this._leases.drop(this.keys[0]!, fence);
  }
}
