/**
 * The Redis tier on the tracing channels: a contended Lock (the waiter's start, queued phase and end, the
 * holder's release point, the hand-off to the waiter's call), a try refused at once, a Queue get that waits
 * for a put and one that times out, and the probe off again once nobody listens. Resources are named by
 * their kind and their name, the same on every process.
 */
import assert from "node:assert/strict";
import dc from "node:diagnostics_channel";
import { afterEach, describe, it } from "node:test";
import type { CallMessage, PointMessage } from "../../src/internal/channels.ts";
import { attach, probe } from "../../src/internal/probe.ts";
import * as tk from "../../src/redis/index.ts";
import { serverPerFile } from "./clients.ts";

type Entry = { ch: string; m: CallMessage | PointMessage };

const { connect } = serverPerFile();

let seq = 0;
const name = (what: string) => `trace-${what}-${++seq}`;

/** Subscribes to the TracingChannels and point channels named, and attaches a sink for the queued phase. */
function listen(calls: string[], points: string[]) {
  const log: Entry[] = [];
  const phases: [string, CallMessage][] = [];
  const undo: (() => void)[] = [];
  for (const ch of calls) {
    const tc = dc.tracingChannel(ch);
    const handlers = Object.fromEntries(
      (["start", "end", "asyncStart", "asyncEnd", "error"] as const).map((phase) => [
        phase,
        (m: unknown) => log.push({ ch: `${ch}:${phase}`, m: { ...(m as CallMessage) } }),
      ]),
    ) as unknown as Parameters<typeof tc.subscribe>[0];
    tc.subscribe(handlers);
    undo.push(() => tc.unsubscribe(handlers));
  }
  for (const ch of points) {
    const fn = (m: unknown) => log.push({ ch, m: m as PointMessage });
    dc.subscribe(ch, fn);
    undo.push(() => dc.unsubscribe(ch, fn));
  }
  undo.push(
    attach({
      call: (phase, m) => phases.push([phase, m]),
      point: () => {},
    }),
  );
  stop = () => {
    for (const u of undo) u();
  };
  return { log, phases };
}
let stop: (() => void) | undefined;
afterEach(() => {
  stop?.();
  stop = undefined;
});

/** Resolves once `ready()` is true, polling; fails after a generous deadline. */
async function until(ready: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!ready()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const phasesOf = (phases: [string, CallMessage][], call: number) =>
  phases.filter(([, m]) => m.call === call).map(([phase]) => phase);

describe("tracing, Redis tier", () => {
  it("a contended Lock: start, queued and end for the waiter, the release, the hand-off to its call", async () => {
    const { log, phases } = listen(
      ["threadkit:lock:acquire"],
      ["threadkit:lock:release", "threadkit:lock:handoff"],
    );
    const n = name("lock");
    const holder = new tk.Lock({ name: n, client: await connect() });
    const waiter = new tk.Lock({ name: n, client: await connect() });
    assert.equal(await holder.acquire(), true);
    const waiting = waiter.acquire({ timeout: 30_000 });
    await until(() => phases.some(([phase]) => phase === "queued"), "the waiter to queue");
    await holder.release();
    assert.equal(await waiting, true);
    await waiter.release();

    const starts = log.filter((e) => e.ch === "threadkit:lock:acquire:start").map((e) => e.m as CallMessage);
    assert.equal(starts.length, 2);
    const [first, second] = starts as [CallMessage, CallMessage];
    for (const m of starts) {
      assert.equal(m.kind, "lock");
      assert.equal(m.id, n, "its id is its name, the same on every process");
      assert.equal(m.name, n);
      assert.equal(m.op, "acquire");
      assert.equal(typeof m.thread.name, "string");
    }
    assert.equal(first.timeout, Number.POSITIVE_INFINITY);
    assert.equal(second.timeout, 30_000);
    assert.deepEqual(phasesOf(phases, first.call), ["start", "end"], "the holder took it at once");
    assert.deepEqual(phasesOf(phases, second.call), ["start", "queued", "end"]);

    const ends = log.filter((e) => e.ch === "threadkit:lock:acquire:asyncEnd").map((e) => e.m as CallMessage);
    const waiterEnd = ends.find((m) => m.call === second.call);
    assert.ok(waiterEnd, "the waiter's call ended on the channel");
    assert.equal(waiterEnd.queued, true);
    assert.equal(waiterEnd.outcome, "granted");
    assert.equal(ends.find((m) => m.call === first.call)?.queued, false);

    const releases = log.filter((e) => e.ch === "threadkit:lock:release").map((e) => e.m as PointMessage);
    assert.equal(releases.length, 2, "the holder's release, then the waiter's");
    assert.deepEqual(
      releases.map((m) => [m.kind, m.id, m.name, m.event, m.n]),
      [
        ["lock", n, n, "release", 1],
        ["lock", n, n, "release", 1],
      ],
    );
    const handoffs = log.filter((e) => e.ch === "threadkit:lock:handoff").map((e) => e.m as PointMessage);
    assert.equal(handoffs.length, 1);
    assert.equal((handoffs[0] as PointMessage & { to: { call: number } }).to.call, second.call);
    // In order: the release comes before the waiter is handed the lock, and its call ends after that.
    const at = (pred: (e: Entry) => boolean) => log.findIndex(pred);
    const released = at((e) => e.ch === "threadkit:lock:release");
    const handed = at((e) => e.ch === "threadkit:lock:handoff");
    const ended = at(
      (e) => e.ch === "threadkit:lock:acquire:asyncEnd" && (e.m as CallMessage).call === second.call,
    );
    assert.ok(released < handed && handed < ended, `order: ${log.map((e) => e.ch).join(", ")}`);
  });

  it("a try refused at once ends as a timeout, without queueing", async () => {
    const { log, phases } = listen(["threadkit:lock:acquire"], []);
    const n = name("try");
    const holder = new tk.Lock({ name: n, client: await connect() });
    const other = new tk.Lock({ name: n, client: await connect() });
    assert.equal(await holder.acquire(), true);
    assert.equal(await other.tryAcquire(), false);
    await holder.release();
    const ends = log.filter((e) => e.ch === "threadkit:lock:acquire:asyncEnd").map((e) => e.m as CallMessage);
    const tried = ends.find((m) => m.timeout === 0);
    assert.ok(tried);
    assert.equal(tried.outcome, "timeout");
    assert.equal(tried.queued, false);
    assert.deepEqual(phasesOf(phases, tried.call), ["start", "end"]);
  });

  it("a Queue get that waits for a put: start, queued, end granted; a put that does not wait", async () => {
    const { log, phases } = listen(
      ["threadkit:queue:get", "threadkit:queue:put"],
      ["threadkit:queue:handoff", "threadkit:queue:shutdown"],
    );
    const n = name("queue");
    const consumer = new tk.Queue<number>(0, { name: n, client: await connect() });
    const producer = new tk.Queue<number>(0, { name: n, client: await connect() });
    const getting = consumer.get();
    await until(() => phases.some(([phase]) => phase === "queued"), "the getter to queue");
    await producer.put(7);
    assert.equal(await getting, 7);
    await producer.shutdown();

    const get = log.find((e) => e.ch === "threadkit:queue:get:asyncEnd")?.m as CallMessage | undefined;
    assert.ok(get);
    assert.deepEqual([get.kind, get.id, get.name, get.op], ["queue", n, n, "get"]);
    assert.equal(get.queued, true);
    assert.equal(get.outcome, "granted");
    assert.deepEqual(phasesOf(phases, get.call), ["start", "queued", "end"]);
    const put = log.find((e) => e.ch === "threadkit:queue:put:asyncEnd")?.m as CallMessage | undefined;
    assert.ok(put);
    assert.equal(put.queued, false);
    assert.equal(put.outcome, "granted");
    const handoff = log.find((e) => e.ch === "threadkit:queue:handoff")?.m as
      | (PointMessage & { to: { call: number } })
      | undefined;
    assert.equal(handoff?.to.call, get.call);
    const shutdown = log.find((e) => e.ch === "threadkit:queue:shutdown")?.m as PointMessage | undefined;
    assert.deepEqual([shutdown?.kind, shutdown?.id], ["queue", n]);
  });

  it("a Queue get that times out: queued, then ended as a timeout (QueueEmpty)", async () => {
    const { log } = listen(["threadkit:queue:get"], []);
    const q = new tk.Queue<number>(0, { name: name("empty"), client: await connect() });
    await assert.rejects(q.get({ timeout: 50 }), tk.QueueEmpty);
    const end = log.find((e) => e.ch === "threadkit:queue:get:error")?.m as CallMessage | undefined;
    assert.ok(end, "the rejection is published on the error channel");
    assert.equal(end.queued, true);
    assert.equal(end.outcome, "timeout");
  });

  it("the probe is off again once nobody listens", async () => {
    listen(["threadkit:lock:acquire"], []);
    assert.equal(probe.on, true);
    stop?.();
    stop = undefined;
    assert.equal(probe.on, false);
  });
});
