import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { abortedSignal, isPending, rejectsWith } from "../helpers.ts";
import { eventSetWhen, eventWaitAndReport } from "./bodies/event.ts";
import { deadlines, type Tier } from "./tier.ts";

/** threading.Event: a flag with memory, set wakes everyone, plus the contract's options bag and abort. */
export function eventContract(tier: Tier): void {
  const { agents } = tier;
  const within = deadlines(agents);

  describe(`Event [${tier.name}]`, () => {
    it("starts unset; set() sets it and clear() clears it, each idempotent", async () => {
      const event = tier.Event();
      assert.equal(await event.isSet(), false);
      await event.set();
      assert.equal(await event.isSet(), true);
      await event.set();
      assert.equal(await event.isSet(), true);
      await event.clear();
      assert.equal(await event.isSet(), false);
      await event.clear();
      assert.equal(await event.isSet(), false);
    });

    it("wait resolves true at once when the event is already set, whatever the options", async () => {
      const event = tier.Event();
      await event.set();
      assert.equal(await within(event.wait()), true);
      assert.equal(await within(event.wait({ timeout: 0 })), true);
      assert.equal(await within(event.wait({ blocking: false })), true);
      assert.equal(await within(event.wait({ timeout: 10_000 })), true);
      assert.equal(await event.isSet(), true, "waiting does not consume the flag");
    });

    it("timeout 0 and blocking:false poll: they resolve false at once when the event is unset", async () => {
      const event = tier.Event();
      assert.equal(await within(event.wait({ timeout: 0 })), false);
      assert.equal(await within(event.wait({ blocking: false })), false);
      assert.equal(await within(event.wait({ blocking: false, timeout: Number.POSITIVE_INFINITY })), false);
      assert.equal(await event.isSet(), false);
    });

    it("wait resolves false once the timeout passes without a set", async () => {
      const event = tier.Event();
      const started = Date.now();
      assert.equal(await within(event.wait({ timeout: 50 })), false);
      assert.ok(Date.now() - started >= 45, "waited about the timeout");
      assert.equal(await event.isSet(), false);
    });

    it("wait without a timeout keeps waiting until the event is set", async () => {
      const event = tier.Event();
      const waiter = event.wait();
      assert.equal(await isPending(waiter, agents.settle), true);
      await event.set();
      assert.equal(await within(waiter), true);
    });

    it("set() wakes every waiter, and each resolves true", async () => {
      const event = tier.Event();
      const waiters = Array.from({ length: 5 }, () => agents.spawn(eventWaitAndReport, event));
      await agents.settle();
      for (const waiter of waiters) assert.equal(await isPending(waiter, agents.settle), true);
      await event.set();
      assert.deepEqual(await within(Promise.all(waiters)), [true, true, true, true, true]);
    });

    it("a waiter with a timeout resolves true when the event is set before the timeout", async () => {
      const event = tier.Event();
      const waiter = agents.spawn(eventWaitAndReport, event, 60_000);
      assert.equal(await isPending(waiter, agents.settle), true);
      await event.set();
      assert.equal(await within(waiter, 10_000), true);
    });

    it("waiters woken by set() resolve true even if clear() runs before they do (gh-57711)", async () => {
      const event = tier.Event();
      const waiters = [
        agents.spawn(eventWaitAndReport, event),
        agents.spawn(eventWaitAndReport, event),
        agents.spawn(eventWaitAndReport, event, 60_000),
        event.wait(),
        event.wait({ timeout: 60_000 }),
      ];
      await agents.settle();
      for (const waiter of waiters) assert.equal(await isPending(waiter, agents.settle), true);
      // Both calls are made before either is awaited, so that no waiter can run in between.
      await Promise.all([event.set(), event.clear()]);
      assert.deepEqual(await within(Promise.all(waiters)), [true, true, true, true, true]);
      assert.equal(await event.isSet(), false);
    });

    it("after clear(), a new wait waits again: a past set is forgotten", async () => {
      const event = tier.Event();
      await event.set();
      await event.clear();
      assert.equal(await within(event.wait({ timeout: 20 })), false);
      const waiter = event.wait();
      assert.equal(await isPending(waiter, agents.settle), true);
      await event.set();
      assert.equal(await within(waiter), true);
    });

    it("a set() by one agent wakes a waiter in another", async () => {
      const event = tier.Event();
      const go = tier.Event();
      const setter = agents.spawn(eventSetWhen, go, event);
      const waiter = event.wait();
      assert.equal(await isPending(waiter, agents.settle), true);
      assert.equal(await isPending(setter, agents.settle), true);
      await go.set();
      assert.equal(await within(waiter), true);
      assert.equal(await within(setter), false, "the event was unset when the agent set it");
      assert.equal(await event.isSet(), true);
    });

    it("an aborted waiter rejects with the signal's reason; the event and the other waiters are unaffected", async () => {
      const event = tier.Event();
      const controller = new AbortController();
      const reason = new Error("stop");
      const aborted = event.wait({ signal: controller.signal });
      const other = agents.spawn(eventWaitAndReport, event);
      await agents.settle();
      controller.abort(reason);
      assert.equal(await within(rejectsWith(aborted, Error)), reason);
      assert.equal(await event.isSet(), false);
      assert.equal(await isPending(other, agents.settle), true, "the other waiter still waits");
      await event.set();
      assert.equal(await within(other), true);
    });

    it("an aborted timed waiter rejects with the reason, not false", async () => {
      const event = tier.Event();
      const controller = new AbortController();
      const reason = new Error("stop");
      const aborted = event.wait({ timeout: 60_000, signal: controller.signal });
      assert.equal(await isPending(aborted, agents.settle), true);
      controller.abort(reason);
      assert.equal(await within(rejectsWith(aborted, Error)), reason);
    });

    it("rejects at once with an already-aborted signal, even when the event is set", async () => {
      const event = tier.Event();
      const reason = new Error("already");
      assert.equal(await within(rejectsWith(event.wait({ signal: abortedSignal(reason) }), Error)), reason);
      await event.set();
      assert.equal(await within(rejectsWith(event.wait({ signal: abortedSignal(reason) }), Error)), reason);
      assert.equal(
        await within(rejectsWith(event.wait({ timeout: 0, signal: abortedSignal(reason) }), Error)),
        reason,
      );
      assert.equal(await event.isSet(), true, "the flag is untouched");
    });

    it("keeps a timeout longer than 2^31 ms instead of firing at once", async () => {
      const event = tier.Event();
      const controller = new AbortController();
      const waiter = event.wait({ timeout: 2 ** 31 + 1000, signal: controller.signal });
      assert.equal(await isPending(waiter, agents.settle), true);
      controller.abort(new Error("done"));
      await within(rejectsWith(waiter, Error, { message: "done" }));
    });

    it("rejects bad options with TypeError/RangeError, set or not, and changes nothing", async () => {
      const bad: [unknown, typeof TypeError | typeof RangeError][] = [
        [{ timeout: -1 }, RangeError],
        [{ timeout: Number.NaN }, RangeError],
        [{ timeout: "5" }, TypeError],
        [{ blocking: "no" }, TypeError],
        [{ signal: {} }, TypeError],
        [{ blocking: false, timeout: 5 }, TypeError],
        ["fast", TypeError],
      ];
      for (const initially of [false, true]) {
        const event = tier.Event();
        if (initially) await event.set();
        for (const [opts, Class] of bad) {
          await within(rejectsWith(event.wait(opts as never), Class));
          assert.equal(await event.isSet(), initially, `state unchanged after ${JSON.stringify(opts)}`);
        }
      }
      await within(
        rejectsWith(tier.Event().wait({ blocking: false, timeout: 5 }), TypeError, {
          message: "can't specify a timeout for a non-blocking call",
        }),
      );
    });
  });
}
