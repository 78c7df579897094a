/**
 * CORE of the Redis tier: parking a waiter until the server hands it something, across processes, without
 * polling in a loop.
 *
 * Invariants:
 * - The decision lives on the server: a waiter is in a FIFO line of its primitive, and whatever it is handed
 *   is a durable ticket there (./scripts/prelude.ts). This process only learns when to look.
 * - A wake-up is a pub/sub message to this process's own channel (one subscriber connection per client,
 *   subscribed once, before any waiter enqueues: subscribe, then try, then wait). Messages can be lost (a
 *   reconnect, a failover): each parked waiter also re-checks its ticket after a bounded, jittered delay
 *   (`timing.recheck`), and all of them at once whenever the subscriber reconnects.
 * - A wake-up that carries its ticket is the hand-off itself: the waiter returns on receipt (`receive`),
 *   and the primitive acknowledges the ticket without waiting for the reply. What the ticket grants is
 *   already the waiter's on the server (a lock or permit under its lease, a notify, a put done), so the
 *   acknowledgement only drops the ticket (and says whether the grant still holds); coming after the
 *   holder's release it finds the grant given back, which changes nothing. A ticket never acknowledged is
 *   dropped at the waiter's deadline, and its grant lapses with its lease.
 *   A ticket that comes while a claim or cancel of the waiter is in flight is not used: that script's
 *   reply decides (it may have taken the ticket itself), and a claim follows if it did not.
 * - A re-check also tells the server that the waiter lives (its deadline is pushed on); a waiter whose
 *   process died lapses after `timing.waiterTtl`, and a ticket it never claimed is taken back.
 * - Timeout and abort run the primitive's cancel script, which either takes a ticket that came in the
 *   meantime (the waiter returns as granted) or leaves the line: nothing handed over is ever dropped.
 * - Tracing (../internal/probe.ts): a traced call's waiter carries its message; parking is its queued phase,
 *   a result got by a wake-up or claim its hand-off, and a settled timeout or abort that resolves null or
 *   false (took nothing) sets its outcome.
 * - A parked waiter keeps the process alive (its re-check timer is ref'd); nothing else does (a Barrier's
 *   standing offer to run its action does not either).
 */
import { randomBytes } from "node:crypto";
import { ThreadingError } from "../api/errors.ts";
import type { CallMessage } from "../internal/channels.ts";
import { arm, disarm, now, type Timed } from "../internal/deadline.ts";
import { handoff, leftEarly, queued } from "../internal/probe.ts";
import type { Driver } from "./client.ts";
import { timing } from "./config.ts";
import { isAnswer } from "./script.ts";

/** What a wait step resolves when the waiter has to go on waiting. */
export const PENDING: unique symbol = Symbol("pending");
export type Pending = typeof PENDING;

/** The three scripts a waiter runs, each resolving the wait's result or PENDING. */
export interface WaitOps<T> {
  /** Woken (or re-checking): take the ticket if there is one. */
  claim(): Promise<T | Pending>;
  /** The timeout passed: take a ticket that came meanwhile, or leave (PENDING: wait on, without a deadline). */
  timeout(): Promise<T | Pending>;
  /** The signal aborted: as timeout, but resolving means "took it anyway"; throwing rejects the wait. */
  abort(): Promise<T | Pending>;
  /**
   * A wake-up brought `ticket`: the result, its acknowledgement sent and not awaited (PENDING: claim it
   * instead). Without it, a waiter claims what it is handed.
   */
  receive?(ticket: string): T | Pending;
}

/** A waiter registered before its enqueue is sent, so that an early wake-up is not missed. */
export interface Waiter {
  readonly id: string;
  rung: boolean;
  wake: (() => void) | null;
  /** Tickets its wake-ups carried, not yet received (in the order sent). */
  tickets: string[];
  /** A claim or cancel of it is in flight: a ticket coming now is left to that script's reply. */
  asking: boolean;
  /** The traced call that waits, while the probe is on. */
  readonly call: CallMessage | undefined;
}

let active = 0;
/** Calls of this process still running a step (not parked): 0 when every waiter here is parked. */
export function busy(): number {
  return active;
}
/** Counts a non-waiting call as running while it runs. */
export async function counted<T>(work: Promise<T>): Promise<T> {
  active++;
  try {
    return await work;
  } finally {
    active--;
  }
}

export class Waker {
  /** This process's (and client's) tag: its waiter ids start with it, and its channel ends with it. */
  readonly tag = randomBytes(6).toString("hex");
  private seq = 0;
  private readonly parked = new Map<string, Waiter>();
  private subscribed: Promise<void> | undefined;
  /** Whether the subscriber listens now: a wait then sends its first script at once, in call order. */
  listening = false;

  constructor(private readonly driver: Driver) {
    this.ready().catch(() => {});
  }

  /** Resolves once the subscriber listens (at once after the first time). */
  ready(): Promise<void> {
    if (this.subscribed === undefined) {
      let ended = false;
      this.subscribed = this.driver
        .subscribe(
          `tk:w:${this.tag}`,
          (id) => this.ring(id),
          () => this.ringAll(),
          () => {
            // The user closed the client: a later wait (on a client connected again) subscribes again.
            ended = true;
            this.subscribed = undefined;
            this.listening = false;
            this.ringAll();
          },
        )
        .then(
          () => {
            if (!ended) this.listening = true;
          },
          (error) => {
            this.subscribed = undefined; // try again on the next wait
            throw error;
          },
        );
    }
    return this.subscribed;
  }

  /**
   * Sends a waiting call's first script. When the connection fails under it, nobody knows whether the
   * server ran it: a call that may wait then counts as enqueued ([0]), and its claims sort it out (a
   * waiter the server does not know asks again).
   */
  async first<R>(ask: () => Promise<R>, ms: number): Promise<R | [0]> {
    try {
      return await ask();
    } catch (error) {
      if (ms === 0 || isAnswer(error)) throw error;
      return [0];
    }
  }

  /** Registers a waiter (of traced call `call`, if any); `end()` it in a finally. */
  begin(call?: CallMessage): Waiter {
    const waiter: Waiter = {
      id: `${this.tag}.${++this.seq}`,
      rung: false,
      wake: null,
      tickets: [],
      asking: false,
      call,
    };
    this.parked.set(waiter.id, waiter);
    active++;
    return waiter;
  }

  /** A try (or a call whose first script found no room to wait) refused at once: `value`, traced as such. */
  refused<T>(waiter: Waiter, value: T): T {
    if (waiter.call !== undefined) leftEarly(waiter.call, "timeout");
    return value;
  }

  end(waiter: Waiter): void {
    if (this.parked.delete(waiter.id)) active--;
  }

  /** A ring is `<waiter id>` or `<waiter id> <ticket>`. */
  private ring(message: string): void {
    const cut = message.indexOf(" ");
    const waiter = this.parked.get(cut < 0 ? message : message.slice(0, cut));
    if (waiter === undefined) return;
    if (cut >= 0 && !waiter.asking) waiter.tickets.push(message.slice(cut + 1));
    waiter.rung = true;
    waiter.wake?.();
  }

  /** After a reconnect: every message sent while the subscriber was away is lost, so everyone looks. */
  private ringAll(): void {
    for (const waiter of this.parked.values()) {
      waiter.rung = true;
      waiter.wake?.();
    }
  }

  /**
   * Parks `waiter` (already enqueued on the server) until one of `ops` resolves a result. `ms` is its timeout
   * (Infinity: none); after a timeout or abort that resolved PENDING it waits on without either.
   */
  async park<T>(
    waiter: Waiter,
    ms: number,
    signal: AbortSignal | undefined,
    ops: WaitOps<T>,
    keepAlive = true,
  ): Promise<T> {
    const deadline = now() + ms;
    let timedOut = false;
    let aborted = false;
    let settledTimeout = false;
    let settledAbort = false;
    let failing = false;
    let failingSince = 0;
    const call = waiter.call;
    if (call !== undefined && !call.queued) queued(call);
    for (;;) {
      const due = (timedOut && !settledTimeout) || (aborted && !settledAbort);
      if (!waiter.rung && (!due || failing)) {
        const untimed = settledTimeout || settledAbort;
        await new Promise<void>((resolve) => {
          const timed: Timed = { deadline, timer: undefined };
          let onAbort: (() => void) | undefined;
          const recheck = setTimeout(() => done(), timing.recheck * (0.8 + 0.4 * Math.random()));
          if (!keepAlive) recheck.unref();
          const done = () => {
            waiter.wake = null;
            clearTimeout(recheck);
            disarm(timed);
            if (onAbort) signal?.removeEventListener("abort", onAbort);
            active++;
            resolve();
          };
          waiter.wake = done;
          active--;
          if (!untimed && !failing) {
            if (Number.isFinite(ms)) {
              arm(timed, () => {
                timedOut = true;
                done();
              });
            }
            if (signal) {
              onAbort = () => {
                aborted = true;
                done();
              };
              if (signal.aborted) queueMicrotask(onAbort);
              else signal.addEventListener("abort", onAbort, { once: true });
            }
          }
        });
      }
      // Handed over by the message itself: no round trip. A timeout due now came too late (its script
      // would take the ticket all the same); an abort due now decides by its own script, as before.
      const ticket = aborted && !settledAbort ? undefined : waiter.tickets.shift();
      if (ticket !== undefined && ops.receive) {
        const result = ops.receive(ticket);
        if (result !== PENDING) {
          if (call !== undefined) handoff(call, call);
          return result;
        }
      }
      let result: T | Pending;
      let settling: "timeout" | "abort" | undefined;
      // A ticket that came before this script is sent is one the script finds on the server.
      waiter.tickets.length = 0;
      waiter.asking = true;
      try {
        if (aborted && !settledAbort) {
          settling = "abort";
          result = await ops.abort();
          settledAbort = true;
        } else if (timedOut && !settledTimeout) {
          settling = "timeout";
          result = await ops.timeout();
          settledTimeout = true;
        } else {
          waiter.rung = false;
          result = await ops.claim();
        }
        failing = false;
      } catch (error) {
        if (aborted && error === signal?.reason) {
          if (call !== undefined) leftEarly(call, "abort");
          throw error;
        }
        if (isAnswer(error)) throw error;
        // The connection failed: the server still has the waiter (for a waiter TTL); look again at the
        // next re-check, and give up only once the server has surely forgotten it.
        if (!failing) failingSince = now();
        failing = true;
        if (now() - failingSince > timing.waiterTtl) {
          throw new ThreadingError(
            `lost contact with Redis while waiting: ${String((error as Error)?.message ?? error)}`,
          );
        }
        continue;
      } finally {
        waiter.asking = false;
      }
      if (result !== PENDING) {
        if (call !== undefined) {
          if (settling !== undefined && (result === null || result === false)) leftEarly(call, settling);
          else handoff(call, call);
        }
        return result;
      }
    }
  }
}

const wakers = new WeakMap<Driver, Waker>();

/** The one Waker (and subscriber connection) of a client. */
export function wakerOf(driver: Driver): Waker {
  let waker = wakers.get(driver);
  if (waker === undefined) wakers.set(driver, (waker = new Waker(driver)));
  return waker;
}
