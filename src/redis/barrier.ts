import { BrokenBarrierError } from "../api/errors.ts";
import type { BarrierOptions, WaitOptions } from "../api/options.ts";
import { admit, checkCount, waitTime } from "../internal/checks.ts";
import { now } from "../internal/deadline.ts";
import { currentCall, point, probe, timeoutOf, traceAsync } from "../internal/probe.ts";
import { timing } from "./config.ts";
import { Named, type RedisOptions } from "./named.ts";
import { Script } from "./script.ts";
import { BARRIER } from "./scripts/barrier.ts";
import { PENDING, type Pending, type Waiter } from "./waker.ts";

const SCRIPT = new Script(BARRIER);

type Reply = [number, string | number, string?];

/**
 * threading.Barrier across processes: `new Barrier(parties, { name, client, action?, timeout? })`. The
 * state machine is the local tier's, kept on the server. The last party to arrive runs the action, if its
 * own Barrier was made with one (a function cannot travel between processes); the round's parties pass
 * once it has succeeded. A timeout breaks the barrier; an abort leaves as if the party never came.
 */
export class Barrier extends Named {
  readonly parties: number;
  protected readonly script = SCRIPT;
  protected readonly keys: string[];
  private readonly action: (() => unknown) | undefined;
  private readonly timeout: number;

  constructor(parties: number, options: BarrierOptions & RedisOptions) {
    checkCount(parties, "parties", 1);
    const { action, timeout } = (options ?? {}) as BarrierOptions;
    if (action !== undefined && typeof action !== "function")
      throw new TypeError("action must be a function");
    const ms = waitTime({ timeout });
    super(options, "Barrier");
    this.parties = parties;
    this.action = action;
    this.timeout = ms;
    this.keys = [
      `${this.tag}:barrier`,
      ...this.line("barrier"),
      ...this.line("barrier:enter"),
      `${this.tag}:barrier:round`,
      ...this.line("barrier:act"),
    ];
    if (action !== undefined) void this.stand();
  }

  /** Parties waiting in the current round (0 unless filling); read on the server. */
  get nWaiting(): Promise<number> {
    return this.state().then((s) => Number(s[1]));
  }

  get broken(): Promise<boolean> {
    return this.state().then((s) => s[0] === "b");
  }

  private state(): Promise<[string, number]> {
    return this.op("state", []) as Promise<[string, number]>;
  }

  private op(op: string, args: (string | number)[]): Promise<unknown> {
    return this.call(op, [this.parties, ...args]);
  }

  reset(): Promise<void> {
    return this.op("reset", []).then(() => {
      if (probe.on) point(this._traced("barrier"), "reset");
    });
  }

  abort(): Promise<void> {
    return this.op("abort", []).then(() => {
      if (probe.on) point(this._traced("barrier"), "broken");
    });
  }

  /**
   * Waits for all parties and resolves this party's arrival index; BrokenBarrierError if the barrier is or
   * becomes broken. Cancel-safe: an abort before the round is complete leaves as if the party never came.
   * @example
   * ```ts
   * const index = await barrier.wait({ timeout: 5000 });
   * ```
   */
  async wait(opts?: WaitOptions): Promise<number> {
    if (probe.on && probe.self !== this)
      return traceAsync(
        this,
        this._traced("barrier"),
        "wait",
        timeoutOf(opts, this.timeout),
        this.wait,
        opts,
      );
    const call = probe.on ? currentCall() : undefined;
    const ms = admit(opts, this.timeout);
    if (typeof ms !== "number") return ms;
    const signal = opts?.signal;
    const end = now() + ms;
    if (!this._waker.listening) await this._waker.ready();
    for (;;) {
      const waiter = this._waker.begin(call);
      let acting: Reply | undefined;
      try {
        const r = (await this.op("wait", [waiter.id, end > now() ? 1 : 0, this.action ? 1 : 0])) as Reply;
        if (r[0] === 1) return Number(r[1]);
        if (r[0] === 2) acting = r;
        else {
          let got = await this.park(waiter, r[1] as string, Math.max(0, end - now()), signal);
          // 'm': a newcomer moved into the round that opened, in its order of arrival: it waits on there.
          if (got === "m") got = await this.park(waiter, "r", Math.max(0, end - now()), signal);
          if (got === "b") throw new BrokenBarrierError();
          if (got !== "g") return Number(got);
          // 'g': the round opened and it was full: arrive again
        }
      } finally {
        // Ended before the action runs: a long action is not a call of this process still running.
        this._waker.end(waiter);
      }
      if (acting) return this.act(Number(acting[1]), acting[2]!);
    }
  }

  private park(waiter: Waiter, which: string, ms: number, signal: AbortSignal | undefined): Promise<string> {
    const ticket = (t: unknown[]): string | Pending => (t[0] === 1 ? String(t[1]) : PENDING);
    return this._waker.park(waiter, ms, signal, {
      claim: async () => ticket((await this.op("claim", [waiter.id, which])) as unknown[]),
      timeout: async () => ticket((await this.op("cancel", [waiter.id, which, "t"])) as unknown[]),
      abort: async () => {
        const t = (await this.op("cancel", [waiter.id, which, "a"])) as unknown[];
        if (t[0] === -1) throw signal!.reason;
        return ticket(t);
      },
      receive: (t) => {
        void this.acknowledge([this.parties, waiter.id, which, t]);
        return t;
      },
    });
  }

  /**
   * While this process lives, it offers to run the action for rounds whose last arrival has none (made in a
   * process that could not be given the function): it stands in the actors' line, without keeping the
   * process alive. After acting it stands again in the same script that lets the round pass, so that the
   * next round, which cannot complete before, always finds it there.
   */
  private async stand(): Promise<void> {
    let waiter: Waiter | undefined;
    for (;;) {
      try {
        if (waiter === undefined) {
          waiter = this._waker.begin();
          await this._waker.ready();
          await this.op("stand", [waiter.id]);
        }
        const aborts = await this._waker.park(
          waiter,
          Number.POSITIVE_INFINITY,
          undefined,
          {
            claim: async () => {
              const t = (await this.op("claim", [waiter!.id, "a"])) as unknown[];
              return t[0] === 1 ? String(t[1]).slice(1) : t[0] === -2 ? "" : PENDING;
            },
            timeout: never,
            abort: never,
          },
          false,
        );
        this._waker.end(waiter);
        waiter = undefined;
        if (aborts === "") continue; // the line forgot it (this process was away): stand again
        const again: { waiter?: Waiter } = {};
        await this.act(0, aborts, again).catch(() => {});
        waiter = again.waiter;
      } catch {
        if (waiter) this._waker.end(waiter);
        waiter = undefined;
        await new Promise((resolve) => setTimeout(resolve, timing.recheck).unref());
      }
    }
  }

  /**
   * The last arrival (or an actor for it): runs the action, then lets the round pass (or breaks it). An
   * actor (`again` given) stands in line again in that same script, as `again.waiter`.
   */
  private async act(index: number, aborts: string, again?: { waiter?: Waiter }): Promise<number> {
    let failed: { error: unknown } | undefined;
    try {
      await this.action!();
    } catch (error) {
      failed = { error };
    }
    if (again) again.waiter = this._waker.begin();
    const r = (await this.op("finish", [failed ? 0 : 1, aborts, again?.waiter?.id ?? ""])) as number[];
    if (failed) throw failed.error;
    if (r[0] !== 1) throw new BrokenBarrierError();
    return index;
  }
}

async function never(): Promise<never> {
  throw new Error("unreachable");
}
