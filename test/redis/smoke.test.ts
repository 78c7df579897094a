import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "redis";
import * as tk from "../../src/redis/index.ts";
import { type RedisServer, startRedis } from "../../tools/redis-server.ts";

let server: RedisServer;
let client: ReturnType<typeof createClient>;
before(async () => {
  server = await startRedis();
  client = createClient({ url: server.url });
  await client.connect();
  tk.setDefaultClient(client);
});
after(async () => {
  client.destroy();
  await server.stop();
});

describe("smoke", () => {
  it("lock", async () => {
    const lock = new tk.Lock({ name: "a" });
    assert.equal(await lock.acquire(), true);
    assert.equal(await lock.locked(), true);
    const w = lock.acquire();
    await new Promise((r) => setTimeout(r, 50));
    await lock.release();
    assert.equal(await w, true);
    assert.ok(lock.lease!.fence > 0);
    await lock.release();
    assert.equal(await lock.locked(), false);
  });
  it("queue", async () => {
    const q = new tk.Queue<number>(2, { name: "q" });
    await q.put(1);
    await q.put(2);
    const p = q.put(3);
    assert.equal(await q.get(), 1);
    await p;
    assert.equal(await q.qsize(), 2);
    const pq = new tk.PriorityQueue<number>(0, { name: "pq" });
    for (const n of [3, -1, 2.5, 10]) await pq.put(n);
    assert.deepEqual([await pq.get(), await pq.get(), await pq.get(), await pq.get()], [-1, 2.5, 3, 10]);
  });
  it("condition", async () => {
    const c = new tk.Condition({ name: "c" });
    await c.acquire();
    const t = c.wait({ timeout: 50 });
    assert.equal(await t, false);
    await c.release();
  });
  it("closing a client closes the tier's subscriber too, so the process can exit", async () => {
    const admin = createClient({ url: server.url });
    await admin.connect();
    const own = async (): Promise<number> => {
      const list = String(await admin.sendCommand(["CLIENT", "LIST"]));
      return list.split("\n").filter((line) => line.includes("name=smoke-closing")).length;
    };
    try {
      const mine = createClient({ url: server.url, name: "smoke-closing" });
      await mine.connect();
      const lock = new tk.Lock({ name: "closing", client: mine });
      assert.equal(await lock.acquire(), true);
      await lock.release();
      assert.equal(await own(), 2, "the client and its subscriber");
      mine.destroy();
      const until = Date.now() + 10_000;
      while ((await own()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await own(), 0, "both connections closed");
    } finally {
      admin.destroy();
    }
  });
});
