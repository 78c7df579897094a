/**
 * Faults against a real server: a holder killed with SIGKILL, a server restarted mid-wait, a CLIENT PAUSE
 * longer than a lease, and wake-up messages that never arrive.
 */
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import type { Driver } from "../../src/redis/client.ts";
import { timing } from "../../src/redis/config.ts";
import * as tk from "../../src/redis/index.ts";
import { type RedisServer, startRedis } from "../../tools/redis-server.ts";
import { within } from "../helpers.ts";

let server: RedisServer;
let client: ReturnType<typeof createClient>;
const saved = { ...timing };

before(async () => {
  server = await startRedis();
  client = createClient({ url: server.url, socket: { reconnectStrategy: () => 50 } });
  client.on("error", () => {});
  await client.connect();
  tk.configure({ recheck: 300, waiterTtl: 3_000 });
});
after(async () => {
  tk.configure({ recheck: saved.recheck, waiterTtl: saved.waiterTtl });
  client.destroy();
  await server.stop();
});

let seq = 0;
const name = (what: string) => `fault-${what}-${++seq}-${process.pid}`;

describe("Redis tier faults", () => {
  it("kill -9 of a holder: its lease lapses, the waiter gets the lock, and the fencing token grows", async () => {
    const lockName = name("kill");
    const holder = fork(new URL("./holder.ts", import.meta.url), [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, TK_REDIS_URL: server.url, TK_LOCK: lockName, TK_LEASE: "1000" },
    });
    try {
      const held = await within(
        new Promise<number>((resolve) => holder.once("message", (m: { fence: number }) => resolve(m.fence))),
        20_000,
        "the holder taking the lock",
      );
      const lock = new tk.Lock({ name: lockName, client, lease: 1_000 });
      assert.equal(await lock.tryAcquire(), false, "the holder has it");
      const waiting = lock.acquire();
      holder.kill("SIGKILL");
      assert.equal(await within(waiting, 10_000, "the waiter after the holder died"), true);
      assert.ok(lock.lease!.fence > held, `fence ${lock.lease!.fence} > ${held}`);
      await lock.release();
    } finally {
      holder.kill("SIGKILL");
    }
  });

  it("a restart of redis-server mid-wait: the holder learns its lease is lost, the waiter proceeds with a larger fence", async () => {
    const holder = new tk.Lock({ name: name("restart"), client, lease: 1_500 });
    const waiter = new tk.Lock({ name: holder.name, client, lease: 1_500 });
    assert.equal(await holder.acquire(), true);
    const lease = holder.lease!;
    let lostEvents = 0;
    holder.addEventListener("leaselost", () => lostEvents++);
    const waiting = waiter.acquire({ timeout: 15_000 });
    await server.kill();
    await server.restart();
    assert.equal(await within(waiting, 15_000, "the waiter after the restart"), true);
    await within(
      new Promise((resolve) =>
        lease.signal.aborted ? resolve(null) : lease.signal.addEventListener("abort", resolve),
      ),
      10_000,
      "the holder learning that its lease is lost",
    );
    assert.equal(lostEvents, 1);
    assert.ok(lease.signal.reason instanceof tk.LeaseLostError);
    assert.ok(waiter.lease!.fence > lease.fence, "a later grant carries a larger fencing token");
    await waiter.release();
  });

  it("CLIENT PAUSE longer than a lease: the lease lapses, the holder learns it, the waiter gets a larger fence", async () => {
    const holder = new tk.Lock({ name: name("pause"), client, lease: 1_500 });
    const waiter = new tk.Lock({ name: holder.name, client, lease: 1_500 });
    assert.equal(await holder.acquire(), true);
    const lease = holder.lease!;
    const admin = createClient({ url: server.url });
    await admin.connect();
    const waiting = waiter.acquire();
    try {
      await admin.sendCommand(["CLIENT", "PAUSE", "3000", "ALL"]);
      assert.equal(await within(waiting, 15_000, "the waiter after the pause"), true);
      assert.ok(waiter.lease!.fence > lease.fence, "the later grant carries a larger fencing token");
      await within(
        new Promise((resolve) =>
          lease.signal.aborted ? resolve(null) : lease.signal.addEventListener("abort", resolve),
        ),
        10_000,
        "the holder learning that its lease lapsed",
      );
      await waiter.release();
    } finally {
      await admin.sendCommand(["CLIENT", "UNPAUSE"]).catch(() => {});
      admin.destroy();
    }
  });

  it("a waiter whose wake-up messages are all lost still proceeds, at its safety re-check", async () => {
    let dropped = 0;
    const plain = createClient({ url: server.url });
    await plain.connect();
    // A Driver of one's own closes its subscriber itself (here when the test is done).
    const subs: ReturnType<typeof createClient>[] = [];
    const deaf: Driver = {
      send: (_key, args) => plain.sendCommand(args),
      usable: () => plain.isOpen,
      async subscribe(channel, _onMessage, onReady) {
        const sub = plain.duplicate();
        sub.on("error", () => {});
        subs.push(sub);
        await sub.connect();
        await sub.subscribe(channel, () => dropped++);
        onReady();
        return { close: async () => sub.destroy() };
      },
    };
    try {
      const lock = new tk.Lock({ name: name("deaf"), client: deaf });
      await lock.acquire();
      const waiting = lock.acquire();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const released = performance.now();
      await lock.release();
      assert.equal(await within(waiting, 5_000, "the waiter re-checking"), true);
      const took = performance.now() - released;
      assert.ok(dropped >= 1, "the wake-up was sent, and lost");
      assert.ok(took < 5_000, `proceeded ${took.toFixed(0)} ms after the release`);
      await lock.release();
    } finally {
      for (const sub of subs) if (sub.isOpen) sub.destroy();
      plain.destroy();
    }
  });
});
