/**
 * A script sent twice acts once: a client that resends what was in flight after a reconnect (ioredis) gets
 * the first run's reply again. Here a Driver sends every command twice and returns the second reply, as if
 * the first reply had been lost with the connection.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { type Driver, driverOf } from "../../src/redis/client.ts";
import * as tk from "../../src/redis/index.ts";
import { type RedisServer, startRedis } from "../../tools/redis-server.ts";
import { within } from "../helpers.ts";

let server: RedisServer;
let client: ReturnType<typeof createClient>;
before(async () => {
  server = await startRedis();
  client = createClient({ url: server.url });
  client.on("error", () => {});
  await client.connect();
});
after(async () => {
  client.destroy();
  await server.stop();
});

let seq = 0;
const name = (what: string) => `resend-${what}-${++seq}`;

/** Sends every command twice; `resends` says whether it admits to it (the tier then sends request ids). */
function doubling(resends: boolean): { driver: Driver; sent: () => number } {
  const real = driverOf(client);
  let sent = 0;
  const driver: Driver = {
    resends,
    usable: () => real.usable(),
    subscribe: (channel, onMessage, onReady, onEnd) => real.subscribe(channel, onMessage, onReady, onEnd),
    async send(key, args) {
      sent++;
      await real.send(key, args);
      return real.send(key, args);
    },
  };
  return { driver, sent: () => sent };
}

describe("a script sent twice", () => {
  it("is run twice when the client does not say it resends (so the doubling below is real)", async () => {
    const { driver } = doubling(false);
    const q = new tk.Queue<number>(0, { name: name("q"), client: driver });
    await q.put(1);
    assert.equal(await new tk.Queue<number>(0, { name: q.name, client }).qsize(), 2);
  });

  it("acts once on a Queue: puts, gets, taskDone and join count each call once", async () => {
    const { driver, sent } = doubling(true);
    const q = new tk.Queue<number>(2, { name: name("q"), client: driver });
    const plain = new tk.Queue<number>(2, { name: q.name, client });
    await q.put(1);
    await q.put(2);
    assert.equal(await plain.qsize(), 2);
    assert.equal(await q.full(), true);
    assert.equal(await q.get(), 1);
    assert.equal(await q.get(), 2);
    assert.equal(await plain.qsize(), 0);
    await q.taskDone();
    await q.taskDone();
    await within(q.join(), 5_000, "join after two taskDone calls for two items");
    await assert.rejects(q.taskDone(), tk.ValueError);
    assert.ok(sent() >= 8, `${sent()} commands sent twice`);
  });

  it("acts once on a Lock: one grant, held until one release", async () => {
    const { driver } = doubling(true);
    const lock = new tk.Lock({ name: name("lock"), client: driver });
    const other = new tk.Lock({ name: lock.name, client });
    assert.equal(await within(lock.acquire({ timeout: 5_000 }), 10_000, "acquire"), true);
    assert.equal(await other.tryAcquire(), false);
    await lock.release();
    assert.equal(await other.tryAcquire(), true, "one release let go of it");
    await other.release();
  });

  it("acts once on a BoundedSemaphore: a permit taken once and given back once", async () => {
    const { driver } = doubling(true);
    const sem = new tk.BoundedSemaphore(2, { name: name("sem"), client: driver });
    assert.equal(await sem.acquire(), true);
    assert.equal(await sem.value, 1);
    await sem.release(); // run twice without its id, this would release too many
    assert.equal(await sem.value, 2);
  });
});

describe("ioredis", () => {
  it("is known to resend, unless told not to", async () => {
    const resending = new Redis(server.port, "127.0.0.1", { lazyConnect: true });
    const not = new Redis(server.port, "127.0.0.1", {
      lazyConnect: true,
      autoResendUnfulfilledCommands: false,
    });
    try {
      await Promise.all([resending.connect(), not.connect()]);
      assert.equal(driverOf(resending).resends, true);
      assert.equal(driverOf(not).resends, false);
      assert.equal(driverOf(client).resends ?? false, false, "node-redis fails what was in flight instead");
    } finally {
      resending.disconnect();
      not.disconnect();
    }
  });
});
