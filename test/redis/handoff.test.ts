/**
 * The hand-off on receipt: a wake-up carries its ticket, the waiter returns on it, and its acknowledgement
 * is sent without being awaited. Here the waiter's client is a Driver over a real one that can hold back
 * replies, fail the acknowledgements, hold a claim, and delay or repeat wake-ups, so that each interleaving
 * is made on purpose: the grant lapsing before the wake-up, a lost acknowledgement, a wake-up during a
 * claim, a wake-up twice. Whatever the order: never held by two, nothing left behind in the line.
 */
import assert from "node:assert/strict";
import { afterEach, before, describe, it } from "node:test";
import { type Driver, driverOf } from "../../src/redis/client.ts";
import { timing } from "../../src/redis/config.ts";
import * as tk from "../../src/redis/index.ts";
import { isPending, within } from "../helpers.ts";
import { type NodeRedis, serverPerFile } from "./clients.ts";

let client: NodeRedis;
const saved = { ...timing };
const { connect } = serverPerFile();

before(async () => {
  client = await connect();
});
afterEach(() => tk.configure({ recheck: saved.recheck, waiterTtl: saved.waiterTtl }));

let seq = 0;
const name = (what: string) => `handoff-${what}-${++seq}`;

/** A script's operation: its arguments end with the operation and the request id. */
const opOf = (args: string[]): string => args[args.length - 2]!;

/** A Driver over a client of its own, whose replies, acknowledgements, claims and wake-ups can be tampered with. */
async function tampered() {
  const real = driverOf(await connect());
  const state = {
    /** Replies are held until `open()` (the commands themselves reach the server at once). */
    holding: false,
    /** Acknowledgements fail as if the connection had dropped before they were sent. */
    failAcks: false,
    /** A claim is not sent until `letClaim()`. */
    holdClaims: false,
    /** Each wake-up is delivered this much later, and `repeat` times. */
    delay: 0,
    repeat: 1,
    /** Runs just before a wake-up is delivered, in the same turn of the event loop. */
    beforeDelivery: undefined as (() => void) | undefined,
    sent: [] as string[],
    messages: 0,
  };
  let open: () => void = () => {};
  let opened = new Promise<void>((resolve) => (open = resolve));
  const claims: (() => void)[] = [];
  let claimed: () => void = () => {};
  const claimWaiting = new Promise<void>((resolve) => (claimed = resolve));
  const driver: Driver = {
    usable: () => real.usable(),
    subscribe: (channel, onMessage, onReady, onEnd) =>
      real.subscribe(
        channel,
        (message) => {
          const deliver = () => {
            state.beforeDelivery?.();
            for (let i = 0; i < state.repeat; i++) {
              state.messages++;
              onMessage(message);
            }
          };
          if (state.delay > 0) setTimeout(deliver, state.delay);
          else deliver();
        },
        onReady,
        onEnd,
      ),
    async send(key, args) {
      const op = args[0] === "EVALSHA" || args[0] === "EVAL" ? opOf(args) : args[0]!;
      state.sent.push(op);
      if (op === "ack" && state.failAcks) throw new Error("connection lost (test)");
      if (op === "claim" && state.holdClaims) {
        await new Promise<void>((resolve) => {
          claims.push(resolve);
          claimed();
        });
      }
      const holding = state.holding;
      const reply = await real.send(key, args);
      if (holding) await opened;
      return reply;
    },
  };
  return {
    driver,
    state,
    hold() {
      state.holding = true;
      opened = new Promise<void>((resolve) => (open = resolve));
    },
    open() {
      state.holding = false;
      open();
    },
    claimWaiting,
    letClaim() {
      for (const go of claims.splice(0)) go();
    },
  };
}

/** Resolves once `seen()` holds (looked at every 2 ms), failing after 20 s. */
function until(seen: () => boolean | Promise<boolean>, what: string): Promise<void> {
  return within(
    (async () => {
      while (!(await seen())) await new Promise((r) => setTimeout(r, 2));
    })(),
    20_000,
    what,
  );
}

/** The server has `n` waiters in the line `part` of primitive `primitive` (its enqueue ran). */
function inLine(primitive: string, part: string, n = 1): Promise<void> {
  const key = `tk:{${primitive}}:${part}:w`;
  return until(async () => Number(await client.sendCommand(["LLEN", key])) >= n, `${n} waiter(s) in ${key}`);
}

/** A Lock held through this file's client and the same Lock through a tampered Driver. */
async function lockPair(what: string, lease?: number) {
  const t = await tampered();
  const n = name(what);
  const holder = new tk.Lock({ name: n, client, lease });
  const waiter = new tk.Lock({ name: n, client: t.driver, lease });
  return { t, n, holder, waiter };
}

/** What the line `part` of `primitive` still has: waiters, deadlines, requests, tickets. */
async function lineLeft(primitive: string, part: string): Promise<number[]> {
  const k = `tk:{${primitive}}:${part}`;
  return [
    Number(await client.sendCommand(["LLEN", `${k}:w`])),
    Number(await client.sendCommand(["ZCARD", `${k}:d`])),
    Number(await client.sendCommand(["HLEN", `${k}:r`])),
    Number(await client.sendCommand(["HLEN", `${k}:t`])),
  ];
}

const serverFence = async (lock: string) =>
  Number(await client.sendCommand(["HGET", `tk:{${lock}}:lock`, "fence"]));

/** Long re-checks: a waiter that proceeds was handed over by its wake-up, not found by a re-check. */
const WOKEN_ONLY = { recheck: 40_000, waiterTtl: 120_000 };

describe("a hand-off on receipt", () => {
  it("a Lock's waiter holds it on the wake-up, with none of its replies heard", async () => {
    tk.configure(WOKEN_ONLY);
    const { t, n, holder, waiter } = await lockPair("lock");
    await holder.acquire();
    const got = waiter.acquire();
    await inLine(n, "lock");
    t.hold();
    await holder.release();
    assert.equal(await within(got, 20_000, "the waiter's acquire, its replies held"), true);
    assert.equal(waiter.lease?.fence, await serverFence(n), "it holds the grant the server made");
    assert.equal(await holder.tryAcquire(), false, "held by one");
    t.open();
    await waiter.release();
    assert.equal(await holder.tryAcquire(), true);
    await holder.release();
    assert.deepEqual(await lineLeft(n, "lock"), [0, 0, 0, 0]);
  });

  it("a Semaphore's, an Event's and a Condition's waiters return on the wake-up too", async () => {
    tk.configure(WOKEN_ONLY);
    const t = await tampered();
    const n = name("others");
    const sem = new tk.Semaphore(1, { name: `${n}-s`, client });
    const swait = new tk.Semaphore(1, { name: `${n}-s`, client: t.driver });
    const event = new tk.Event({ name: `${n}-e`, client });
    const ewait = new tk.Event({ name: `${n}-e`, client: t.driver });
    const cond = new tk.Condition(new tk.Lock({ name: `${n}-c`, client }), { name: `${n}-c`, client });
    const cwaitLock = new tk.Lock({ name: `${n}-c`, client: t.driver });
    const cwait = new tk.Condition(cwaitLock, { name: `${n}-c`, client: t.driver });

    await sem.acquire();
    await cwait.acquire();
    const waits = [swait.acquire(), ewait.wait(), cwait.wait()];
    await Promise.all([inLine(`${n}-s`, "sem"), inLine(`${n}-e`, "event"), inLine(`${n}-c`, `cond:${n}-c`)]);
    await cond.acquire(); // the condition's waiter let go of its lock in the same script that queued it
    t.hold();
    await sem.release();
    await event.set();
    await cond.notify();
    await cond.release();
    assert.deepEqual(await within(Promise.all(waits), 20_000, "the waits, their replies held"), [
      true,
      true,
      true,
    ]);
    assert.equal(cwaitLock.lease?.fence, await serverFence(`${n}-c`), "the notified waiter holds the lock");
    assert.equal(await sem.tryAcquire(), false, "the one permit is the waiter's");
    t.open();
    await Promise.all([swait.release(), cwait.release()]);
    assert.equal(await sem.tryAcquire(), true);
    await sem.release();
    for (const [p, part] of [
      [`${n}-s`, "sem"],
      [`${n}-e`, "event"],
      [`${n}-c`, "lock"],
      [`${n}-c`, `cond:${n}-c`],
    ] as const) {
      assert.deepEqual(await lineLeft(p, part), [0, 0, 0, 0], `${p} ${part}`);
    }
  });

  it("a queue's getter still claims its item (an unclaimed item goes back, so it must not be taken twice)", async () => {
    tk.configure(WOKEN_ONLY);
    const t = await tampered();
    const n = name("queue");
    const q = new tk.Queue<number>(0, { name: n, client });
    const qwait = new tk.Queue<number>(0, { name: n, client: t.driver });
    const got = qwait.get();
    await inLine(n, "q:get");
    t.hold();
    await q.put(7);
    await until(() => t.state.sent.includes("claim"), "the getter's claim");
    assert.equal(
      await isPending(got, () => new Promise((r) => setTimeout(r, 200))),
      true,
      "not before its claim's reply",
    );
    t.open();
    assert.equal(await within(got, 20_000, "the getter"), 7);
    assert.deepEqual(await lineLeft(n, "q:get"), [0, 0, 0, 0]);
    assert.equal(await q.qsize(), 0, "taken once");
  });

  it("a grant that lapsed before its wake-up arrived: the waiter's lease is lost at once, and the line keeps nothing of it", async () => {
    tk.configure(WOKEN_ONLY);
    const { t, n, holder, waiter } = await lockPair("lapsed", 200);
    const other = new tk.Lock({ name: n, client, lease: 30_000 });
    await holder.acquire();
    const got = waiter.acquire();
    await inLine(n, "lock");
    t.state.delay = 1_500; // far past the 200 ms lease the release grants
    const lost = new Promise<void>((resolve) => waiter.addEventListener("leaselost", () => resolve()));
    await holder.release();
    const granted = await serverFence(n);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await other.tryAcquire(), true, "the lapsed grant left the lock free");
    assert.ok(other.lease!.fence > granted, "with a larger fence");
    assert.equal(await within(got, 20_000, "the late wake-up"), true);
    await within(lost, 20_000, "the waiter learning that its grant lapsed");
    assert.equal(waiter.lease, undefined, "no lease left to the waiter");
    assert.equal(await serverFence(n), other.lease!.fence, "the other holds it still");
    await other.release();
    assert.deepEqual(await lineLeft(n, "lock"), [0, 0, 0, 0]);
  });

  it("an acknowledgement that never reaches the server: the holder keeps the lock, the next waiter gets it, the ticket is dropped at its deadline", async () => {
    tk.configure({ recheck: 300, waiterTtl: 2_000 });
    const { t, n, holder, waiter } = await lockPair("unacked");
    const third = new tk.Lock({ name: n, client: await connect() });
    await holder.acquire();
    const got = waiter.acquire();
    await inLine(n, "lock");
    t.state.failAcks = true;
    await holder.release();
    assert.equal(await within(got, 20_000, "the waiter"), true);
    const fence = waiter.lease!.fence;
    await until(() => t.state.sent.includes("ack"), "an acknowledgement attempted");
    assert.equal(await holder.tryAcquire(), false, "held by the waiter");
    const next = third.acquire();
    await inLine(n, "lock");
    await waiter.release();
    assert.equal(await within(next, 20_000, "the next waiter"), true);
    assert.ok(third.lease!.fence > fence, "the next grant's fence is larger");
    await third.release();
    await new Promise((r) => setTimeout(r, 2_500)); // past the unacknowledged ticket's deadline
    await holder.locked(); // any script sweeps the line
    assert.deepEqual(await lineLeft(n, "lock"), [0, 0, 0, 0]);
  });

  it("a wake-up that comes while a claim is in flight is left to the claim (which takes the ticket)", async () => {
    tk.configure({ recheck: 300, waiterTtl: 120_000 });
    const { t, n, holder, waiter } = await lockPair("claiming");
    await holder.acquire();
    t.state.holdClaims = true;
    const got = waiter.acquire();
    await inLine(n, "lock");
    await within(t.claimWaiting, 20_000, "a re-check's claim");
    await holder.release(); // the wake-up comes while the claim is held back
    await until(() => t.state.messages >= 1, "the wake-up");
    t.state.holdClaims = false;
    t.letClaim();
    assert.equal(await within(got, 20_000, "the waiter"), true);
    assert.equal(
      t.state.sent.filter((op) => op === "ack").length,
      0,
      "the claim took the ticket: nothing to acknowledge",
    );
    assert.equal(waiter.lease?.fence, await serverFence(n));
    await waiter.release();
    assert.deepEqual(await lineLeft(n, "lock"), [0, 0, 0, 0]);
  });

  it("an acknowledgement that comes after the holder's release changes nothing", async () => {
    tk.configure(WOKEN_ONLY);
    const { t, n, holder, waiter } = await lockPair("late-ack");
    await holder.acquire();
    const lost: Event[] = [];
    waiter.addEventListener("leaselost", (e) => lost.push(e));
    const got = waiter.acquire().then(() => waiter.release()); // released before its acknowledgement is sent
    await inLine(n, "lock");
    const next = holder.acquire();
    await inLine(n, "lock", 2);
    await holder.release();
    await within(got, 20_000, "the waiter's acquire and release");
    assert.equal(await within(next, 20_000, "the next waiter"), true);
    await until(() => t.state.sent.includes("ack"), "the acknowledgement");
    const sent = t.state.sent.filter((op) => op === "ack" || op === "release");
    assert.deepEqual(sent, ["release", "ack"], "the release went first");
    await holder.locked(); // a script after the acknowledgement's
    assert.equal(lost.length, 0, "a lease given back is not lost");
    assert.equal(await serverFence(n), holder.lease!.fence, "the next waiter holds it");
    await holder.release();
    assert.deepEqual(await lineLeft(n, "lock"), [0, 0, 0, 0]);
  });

  it("an abort seen just before the wake-up decides by its own script (an Event's wait rejects; a Lock's takes the grant)", async () => {
    tk.configure(WOKEN_ONLY);
    const t = await tampered();
    const n = name("abort");
    const event = new tk.Event({ name: `${n}-e`, client });
    const ewait = new tk.Event({ name: `${n}-e`, client: t.driver });
    const aborting = new AbortController();
    const reason = new Error("aborted (test)");
    const waited = ewait.wait({ signal: aborting.signal });
    waited.catch(() => {});
    await inLine(`${n}-e`, "event");
    t.state.beforeDelivery = () => aborting.abort(reason);
    await event.set();
    await assert.rejects(within(waited, 20_000, "the aborted wait"), (e) => e === reason);
    assert.deepEqual(await lineLeft(`${n}-e`, "event"), [0, 0, 0, 0]);

    const holder = new tk.Lock({ name: `${n}-l`, client });
    const waiter = new tk.Lock({ name: `${n}-l`, client: t.driver });
    const again = new AbortController();
    t.state.beforeDelivery = () => again.abort(reason);
    await holder.acquire();
    const got = waiter.acquire({ signal: again.signal });
    await inLine(`${n}-l`, "lock");
    await holder.release();
    assert.equal(
      await within(got, 20_000, "the aborted acquire"),
      true,
      "handed over before the abort: kept",
    );
    assert.equal(waiter.lease?.fence, await serverFence(`${n}-l`));
    await waiter.release();
    assert.deepEqual(await lineLeft(`${n}-l`, "lock"), [0, 0, 0, 0]);
  });

  it("a wake-up delivered twice hands over once", async () => {
    tk.configure(WOKEN_ONLY);
    const { t, n, holder, waiter } = await lockPair("twice");
    t.state.repeat = 2;
    for (let round = 0; round < 3; round++) {
      await holder.acquire();
      const got = waiter.acquire();
      await inLine(n, "lock");
      await holder.release();
      assert.equal(await within(got, 20_000, "the waiter"), true);
      assert.equal(waiter.lease?.fence, await serverFence(n));
      await waiter.release();
    }
    assert.equal(t.state.sent.filter((op) => op === "ack").length, 3, "one acknowledgement a hand-off");
    assert.deepEqual(await lineLeft(n, "lock"), [0, 0, 0, 0]);
  });
});
