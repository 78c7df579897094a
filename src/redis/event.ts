import type { WaitOptions } from "../api/options.ts";
import { admit } from "../internal/checks.ts";
import { currentCall, point, probe, timeoutOf, traceAsync } from "../internal/probe.ts";
import { Named, type RedisOptions } from "./named.ts";
import { Script } from "./script.ts";
import { EVENT } from "./scripts/event.ts";
import { PENDING } from "./waker.ts";

const SCRIPT = new Script(EVENT);

/** threading.Event across processes: `new Event({ name, client })`. set() wakes every waiter. */
export class Event extends Named {
  protected readonly script = SCRIPT;
  protected readonly keys: string[];

  constructor(options: RedisOptions) {
    super(options, "Event");
    this.keys = [`${this.tag}:event`, ...this.line("event")];
  }

  isSet(): Promise<boolean> {
    return this.call("isset", []).then((r) => r === 1);
  }

  set(): Promise<void> {
    return this.call("set", []).then(() => {
      if (probe.on) point(this._traced("event"), "set");
    });
  }

  clear(): Promise<void> {
    return this.call("clear", []).then(() => {
      if (probe.on) point(this._traced("event"), "clear");
    });
  }

  /**
   * Resolves true once the flag is set (or was set while waiting, even if cleared since), false after the
   * timeout. Cancel-safe: an abort rejects with `signal.reason` and leaves no waiter behind.
   * @example
   * ```ts
   * if (await event.wait({ timeout: 1000 })) console.log("set");
   * ```
   */
  async wait(opts?: WaitOptions): Promise<boolean> {
    if (probe.on && probe.self !== this)
      return traceAsync(this, this._traced("event"), "wait", timeoutOf(opts), this.wait, opts);
    const call = probe.on ? currentCall() : undefined;
    const ms = admit(opts);
    if (typeof ms !== "number") return ms;
    const signal = opts?.signal;
    if (ms > 0 && !this._waker.listening) await this._waker.ready();
    const waiter = this._waker.begin(call);
    const ask = () => this.call("wait", [waiter.id, ms > 0 ? 1 : 0]) as Promise<number[]>;
    try {
      const first = await this._waker.first(ask, ms);
      if (first[0] !== 0) return first[0] === 1;
      return await this._waker.park(waiter, ms, signal, {
        claim: async () => {
          let r = (await this.call("claim", [waiter.id])) as number[];
          if (r[0] === -2) r = await ask();
          return r[0] === 1 ? true : PENDING;
        },
        timeout: async () => ((await this.call("cancel", [waiter.id])) as number[])[0] === 1,
        abort: async () => {
          await this.call("cancel", [waiter.id]);
          throw signal!.reason;
        },
        receive: (ticket) => {
          void this.acknowledge([waiter.id, ticket]);
          return true;
        },
      });
    } finally {
      this._waker.end(waiter);
    }
  }
}
