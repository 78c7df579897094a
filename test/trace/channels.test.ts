/**
 * The diagnostics channels, as a subscriber sees them: the names, the fields of each message, their order
 * around a hand-off, the outcome of each way a wait ends, the async context a waiter's continuation runs
 * in, on both tiers; and the probe off again once nobody listens.
 */
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import dc from "node:diagnostics_channel";
import { after, afterEach, describe, it } from "node:test";
import { traceName } from "../../src/diagnostics/index.ts";
import * as local from "../../src/index.ts";
import type { CallMessage, HandoffMessage, PointMessage } from "../../src/internal/channels.ts";
import { holdersOf, probe, resourceOf } from "../../src/internal/probe.ts";
import * as threads from "../../src/threads/index.ts";
import { terminateAll } from "../threads/spawn.ts";

type Entry = { ch: string; m: CallMessage | PointMessage; store?: string | undefined };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const als = new AsyncLocalStorage<string>();

/** Subscribes to the TracingChannels and point channels named; returns the log and its unsubscribe. */
function listen(calls: string[], points: string[]): { log: Entry[]; stop: () => void } {
  const log: Entry[] = [];
  const undo: (() => void)[] = [];
  for (const name of calls) {
    const tc = dc.tracingChannel(name);
    const handlers = Object.fromEntries(
      (["start", "end", "asyncStart", "asyncEnd", "error"] as const).map((phase) => [
        phase,
        (m: unknown) => log.push({ ch: `${name}:${phase}`, m: m as CallMessage, store: als.getStore() }),
      ]),
    ) as unknown as Parameters<typeof tc.subscribe>[0];
    tc.subscribe(handlers);
    undo.push(() => tc.unsubscribe(handlers));
  }
  for (const name of points) {
    const fn = (m: unknown) => log.push({ ch: name, m: m as PointMessage, store: als.getStore() });
    dc.subscribe(name, fn);
    undo.push(() => dc.unsubscribe(name, fn));
  }
  return {
    log,
    stop: () => {
      for (const u of undo) u();
    },
  };
}

let active: { stop: () => void } | undefined;
function subscribe(calls: string[], points: string[]): Entry[] {
  const l = listen(calls, points);
  active = l;
  return l.log;
}
afterEach(() => {
  active?.stop();
  active = undefined;
});

const LOCK = ["threadkit:lock:acquire"];
const LOCK_POINTS = ["threadkit:lock:release", "threadkit:lock:handoff"];

describe("tracing channels, local tier", () => {
  it("a contended Lock: the waiter's start, the release, the hand-off to its call, then its asyncStart", async () => {
    const log = subscribe(LOCK, LOCK_POINTS);
    const lock = new local.Lock();
    traceName(lock, "accounts");
    const a = new local.Thread({
      name: "A",
      target: async () => {
        await lock.acquire();
        await sleep(20);
        lock.release();
      },
    });
    const b = new local.Thread({
      name: "B",
      target: async () => {
        await sleep(5);
        await lock.acquire({ timeout: 5000 });
        lock.release();
      },
    });
    a.start();
    b.start();
    await a.join();
    await b.join();
    const seen = log.filter((e) => !e.ch.endsWith(":end") && !e.ch.endsWith("asyncEnd"));
    const line = seen.map((e) => `${e.ch.replace("threadkit:lock:", "")} ${e.m.thread.name}`);
    assert.deepEqual(line, [
      "acquire:start A",
      "acquire:asyncStart A",
      "acquire:start B",
      "release A",
      "handoff A",
      "acquire:asyncStart B",
      "release B",
    ]);
    const bStart = seen[2]!.m as CallMessage;
    assert.equal(bStart.kind, "lock");
    assert.match(bStart.id, /^L\d+$/);
    assert.equal(bStart.name, "accounts");
    assert.equal(bStart.op, "acquire");
    assert.equal(bStart.timeout, 5000);
    assert.equal(bStart.thread.id, 0);
    assert.equal(bStart.queued, true, "B queued behind A");
    assert.equal(bStart.outcome, "granted");
    assert.equal(bStart.result, true);
    const aStart = seen[0]!.m as CallMessage;
    assert.equal(aStart.queued, false, "A took it at once");
    const handoff = seen[4]!.m as HandoffMessage;
    assert.deepEqual(handoff.to, { thread: 0, call: bStart.call, cell: -1 });
    assert.equal(handoff.id, bStart.id);
  });

  it("a waiter's continuation runs in its own async context, never the releaser's", async () => {
    const log = subscribe(LOCK, LOCK_POINTS);
    const lock = new local.Lock();
    const start = dc.tracingChannel("threadkit:lock:acquire").start as unknown as {
      bindStore(store: AsyncLocalStorage<string>, transform: (m: CallMessage) => string): void;
      unbindStore(store: AsyncLocalStorage<string>): void;
    };
    const bound = new AsyncLocalStorage<string>();
    start.bindStore(bound, (m) => `acquire #${m.call}`);
    const settled: [string | undefined, string | undefined][] = [];
    const onSettle = () => settled.push([als.getStore(), bound.getStore()]);
    dc.subscribe("tracing:threadkit:lock:acquire:asyncStart", onSettle);
    try {
      await lock.acquire();
      let after: string | undefined;
      const waiter = als.run("waiter", async () => {
        await lock.acquire();
        after = als.getStore();
        lock.release();
      });
      await sleep(5);
      als.run("releaser", () => lock.release());
      await waiter;
      assert.equal(after, "waiter");
      const calls = log.filter((e) => e.ch.endsWith("acquire:start")).map((e) => (e.m as CallMessage).call);
      // Each call's asyncStart runs in the context of its caller, with the store bound to its own start.
      assert.deepEqual(settled, [
        [undefined, `acquire #${calls[0]}`],
        ["waiter", `acquire #${calls[1]}`],
      ]);
      const release = log.find((e) => e.ch === "threadkit:lock:release");
      assert.equal(release?.store, "releaser", "the release is published in the releaser's context");
    } finally {
      dc.unsubscribe("tracing:threadkit:lock:acquire:asyncStart", onSettle);
      start.unbindStore(bound);
    }
  });

  it("each way a wait ends: granted, timeout, abort, and a failed try", async () => {
    const log = subscribe(["threadkit:semaphore:acquire"], []);
    const sem = new local.Semaphore(1);
    await sem.acquire();
    assert.equal(await sem.acquire({ timeout: 5 }), false);
    const ac = new AbortController();
    const aborted = sem.acquire({ signal: ac.signal });
    ac.abort(new Error("stop"));
    await assert.rejects(aborted, /stop/);
    assert.equal(sem.tryAcquire(), false);
    const ends = log.filter(
      (e) => e.ch.endsWith("asyncStart") || e.ch.endsWith(":error") || e.ch.endsWith(":end"),
    );
    const byCall = new Map<number, CallMessage>();
    for (const e of ends) byCall.set((e.m as CallMessage).call, e.m as CallMessage);
    const outcomes = [...byCall.values()].map((m) => [m.outcome, m.queued, m.timeout]);
    assert.deepEqual(outcomes, [
      ["granted", false, Number.POSITIVE_INFINITY],
      ["timeout", true, 5],
      ["abort", true, Number.POSITIVE_INFINITY],
      ["timeout", false, 0],
    ]);
    assert.ok(
      log.some(
        (e) => e.ch === "threadkit:semaphore:acquire:error" && (e.m as CallMessage).outcome === "abort",
      ),
    );
  });

  it("Condition: wait, notify (n), the hand-off to the waiter, the lock taken back inside the wait", async () => {
    const log = subscribe(
      ["threadkit:condition:wait", "threadkit:lock:acquire"],
      ["threadkit:condition:notify", "threadkit:condition:handoff", "threadkit:lock:release"],
    );
    const cond = new local.Condition(new local.Lock());
    await cond.acquire();
    const waiting = cond.wait();
    await sleep(2);
    await cond.acquire({ timeout: 0 }).catch(() => undefined); // a failed try on the held lock
    cond.notifyAll();
    cond.release();
    assert.equal(await waiting, true);
    cond.release();
    const names = log
      .filter((e) => !e.ch.endsWith(":end") && !e.ch.endsWith("asyncEnd"))
      .map((e) => e.ch.replace("threadkit:", ""));
    assert.deepEqual(names, [
      "lock:acquire:start",
      "lock:acquire:asyncStart",
      "condition:wait:start",
      "lock:release", // the wait lets go of the lock
      "lock:acquire:start", // the try
      "lock:acquire:asyncStart",
      "condition:notify",
      "condition:handoff",
      "lock:release",
      "lock:acquire:start", // the waiter takes the lock back, inside its wait
      "lock:acquire:asyncStart",
      "condition:wait:asyncStart",
      "lock:release",
    ]);
    const notify = log.find((e) => e.ch === "threadkit:condition:notify")!.m as PointMessage;
    assert.equal(notify.n, 1);
    const wait = log.find((e) => e.ch === "threadkit:condition:wait:start")!.m as CallMessage;
    assert.equal(
      (log.find((e) => e.ch === "threadkit:condition:handoff")!.m as HandoffMessage).to.call,
      wait.call,
    );
    assert.equal(wait.outcome, "granted");
  });

  it("Queue: a get that waits, the put that hands it the item; Event set; Barrier broken", async () => {
    const log = subscribe(
      ["threadkit:queue:get", "threadkit:queue:put", "threadkit:event:wait", "threadkit:barrier:wait"],
      [
        "threadkit:queue:handoff",
        "threadkit:event:set",
        "threadkit:event:handoff",
        "threadkit:barrier:broken",
      ],
    );
    const q = new local.Queue<string>();
    const got = q.get();
    await q.put("job");
    assert.equal(await got, "job");
    const ev = new local.Event();
    const waited = ev.wait();
    ev.set();
    await waited;
    const barrier = new local.Barrier(2);
    const party = barrier.wait();
    barrier.abort();
    await assert.rejects(party);
    const names = log.filter((e) => e.ch.endsWith(":start") || e.ch.split(":").length === 3).map((e) => e.ch);
    assert.deepEqual(names, [
      "threadkit:queue:get:start",
      "threadkit:queue:put:start",
      "threadkit:queue:handoff",
      "threadkit:event:wait:start",
      "threadkit:event:set",
      "threadkit:event:handoff",
      "threadkit:barrier:wait:start",
      "threadkit:barrier:broken",
    ]);
    const get = log.find((e) => e.ch === "threadkit:queue:get:start")!.m as CallMessage;
    assert.equal(get.result, "job");
    assert.equal((log.find((e) => e.ch === "threadkit:event:set")!.m as PointMessage).n, 1);
    const party0 = log.find((e) => e.ch === "threadkit:barrier:wait:start")!.m as CallMessage;
    assert.equal(party0.outcome, "error");
  });

  it("is off once nobody listens: the probe's one boolean", () => {
    assert.equal(probe.on, false);
    const l = listen([], ["threadkit:event:set"]);
    assert.equal(probe.on, true);
    l.stop();
    assert.equal(probe.on, false);
    const tc = dc.tracingChannel("threadkit:lock:acquire");
    const h = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    tc.subscribe(h);
    assert.equal(probe.on, true);
    tc.unsubscribe(h);
    assert.equal(probe.on, false);
  });
});

describe("tracing channels, threads tier", () => {
  after(terminateAll);

  it("a contended Lock: queued in a cell, handed off to that cell, ended granted", async () => {
    const log = subscribe(LOCK, LOCK_POINTS);
    const lock = new threads.Lock();
    await lock.acquire();
    const waiter = als.run("waiter", async () => {
      const ok = await lock.acquire({ timeout: 10_000 });
      return [ok, als.getStore()];
    });
    while ((lock as unknown as { _core: { size: number } })._core.size === 0) await sleep(1);
    als.run("releaser", () => lock.release());
    assert.deepEqual(await waiter, [true, "waiter"]);
    lock.release();
    const start = log.filter((e) => e.ch.endsWith("acquire:start"))[1]!.m as CallMessage;
    assert.match(start.id, /^T\d+\.\d+$/);
    assert.equal(start.queued, true);
    assert.ok(start.cell >= 0);
    assert.equal(start.outcome, "granted");
    const handoff = log.find((e) => e.ch === "threadkit:lock:handoff")!;
    assert.deepEqual((handoff.m as HandoffMessage).to, { thread: 0, call: -1, cell: start.cell });
    assert.equal(handoff.store, "releaser");
    const asyncStart = log.filter((e) => e.ch.endsWith("asyncStart"))[1]!;
    assert.equal(asyncStart.store, "waiter");
    const names = log
      .filter((e) => !e.ch.endsWith(":end") && !e.ch.endsWith("asyncEnd"))
      .map((e) => e.ch.replace("threadkit:lock:", ""));
    assert.deepEqual(names, [
      "acquire:start",
      "acquire:asyncStart",
      "acquire:start",
      "release",
      "handoff",
      "acquire:asyncStart",
      "release",
    ]);
  });

  it("blocking calls are traced too (end, with the outcome), and a timeout ends as one", () => {
    const log = subscribe(["threadkit:semaphore:acquire", "threadkit:event:wait"], ["threadkit:event:set"]);
    const sem = new threads.Semaphore(1);
    assert.equal(sem.acquireSync(), true);
    assert.equal(sem.acquireSync({ timeout: 5 }), false);
    const ev = new threads.Event();
    ev.set();
    assert.equal(ev.waitSync(), true);
    const ends = log.filter((e) => e.ch.endsWith(":end")).map((e) => e.m as CallMessage);
    assert.deepEqual(
      ends.map((m) => [m.kind, m.outcome, m.queued, m.timeout]),
      [
        ["semaphore", "granted", false, Number.POSITIVE_INFINITY],
        ["semaphore", "timeout", true, 5],
        ["event", "granted", false, Number.POSITIVE_INFINITY],
      ],
    );
    assert.equal(log.filter((e) => e.ch === "threadkit:event:set").length, 1);
  });
});

describe("the probe's seam (for a deadlock detector)", () => {
  it("knows who holds a primitive with owners: threads Lock and RLock, local RLock; none for a local Lock", async () => {
    subscribe(["threadkit:lock:acquire", "threadkit:rlock:acquire"], []);
    const tLock = new threads.Lock();
    await tLock.acquire();
    const tRef = resourceOf((tLock as unknown as { _core: { i32: Int32Array } })._core.i32.buffer, "lock");
    assert.deepEqual(holdersOf(tRef), [{ thread: 0 }]);
    tLock.release();
    assert.deepEqual(holdersOf(tRef), []);
    const rlock = new local.RLock();
    let inside: unknown;
    const t = new local.Thread({
      name: "holder",
      target: async () => {
        await rlock.acquire();
        inside = holdersOf(resourceOf(rlock, "rlock"));
        rlock.release();
      },
    });
    t.start();
    await t.join();
    assert.deepEqual(inside, [{ thread: 0, name: "holder" }]);
    assert.deepEqual(holdersOf(resourceOf(rlock, "rlock")), []);
    const lLock = new local.Lock();
    await lLock.acquire();
    assert.equal(
      holdersOf(resourceOf(lLock, "lock")),
      undefined,
      "a local Lock has no owner (any task may release)",
    );
    lLock.release();
  });
});
