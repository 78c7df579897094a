/**
 * record() and layout()/render() as functions, on one event loop: two Threads contend for a Lock and meet
 * on a Condition; the recording has their events in time order, and the timeline has their lanes, waits,
 * holds and the hand-offs between them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { layout, record, render, traceName } from "../../src/diagnostics/index.ts";
import * as local from "../../src/index.ts";
import { probe } from "../../src/internal/probe.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("record() and render()", () => {
  it("records a run of two Threads on a Lock and a Condition, and lays it out", async () => {
    const recorder = record();
    assert.equal(probe.on, true);
    const lock = new local.Lock();
    const cond = new local.Condition(new local.Lock());
    traceName(lock, "shared");
    let ready = false;
    const mainQueued = new local.Event();
    const producer = new local.Thread({
      name: "producer",
      target: async () => {
        await lock.acquire();
        await mainQueued.wait(); // holds the lock until main waits for it
        lock.release();
        await cond.acquire();
        ready = true;
        cond.notify();
        cond.release();
      },
    });
    const consumer = new local.Thread({
      name: "consumer",
      target: async () => {
        await cond.acquire();
        while (!ready) await cond.wait();
        cond.release();
        await lock.acquire(); // free by now
        lock.release();
      },
    });
    consumer.start();
    producer.start();
    while (!lock.locked()) await sleep(1);
    const early = lock.acquire(); // main waits behind the producer
    mainQueued.set();
    await early;
    lock.release();
    await producer.join();
    await consumer.join();
    const rec = recorder.stop();
    assert.equal(probe.on, false, "stopping detaches");
    assert.ok(rec.events.length > 10);
    for (let i = 1; i < rec.events.length; i++) assert.ok(rec.events[i]!.t >= rec.events[i - 1]!.t);
    assert.ok(rec.start > 1.6e12 && rec.end >= rec.start, "a wall-clock aligned, monotonic timestamp");
    const tl = layout(rec);
    assert.deepEqual([...tl.lanes].sort(), ["consumer", "main", "producer"]);
    const waits = tl.spans.filter((s) => s.kind === "wait").map((s) => `${tl.lanes[s.lane]}: ${s.label}`);
    assert.ok(waits.includes("main: acquire shared"), waits.join(" | "));
    assert.ok(
      waits.some((w) => w.startsWith("consumer: wait")),
      waits.join(" | "),
    );
    const arrows = tl.arrows.map((a) => a.detail);
    assert.ok(
      arrows.some((a) => /^producer hands lock "shared" \(L\d+\) to main \(its acquire\)$/.test(a)),
      arrows.join(" | "),
    );
    assert.ok(
      arrows.some((a) => /^producer hands condition L\d+ to consumer \(its wait\)$/.test(a)),
      arrows.join(" | "),
    );
    const holds = tl.spans.filter((s) => s.kind === "hold").map((s) => tl.lanes[s.lane]);
    assert.ok(holds.filter((l) => l === "producer").length >= 2, holds.join(", "));
    const html = render(rec, "a test");
    assert.match(html, /^<!doctype html>/);
    assert.equal((html.match(/class="lane"/g) ?? []).length, 3);
    assert.equal((html.match(/class="arrow"/g) ?? []).length, tl.arrows.length);
    assert.doesNotMatch(html, /\b(src|href)="/, "nothing to load");
  });
});
