/**
 * The Redis tier on a real Redis Cluster: three masters started on free loopback ports and joined with
 * `redis-cli --cluster create`, a node-redis cluster client (createCluster) in this process and in an
 * agent process (this file again, run with TK_CLUSTER_AGENT set; forked first, so that it loads while the
 * cluster forms). A Lock, a Queue and a Semaphore are named so that each lands on a different master, and
 * each is handed across the two processes; while a waiter is in line, every key of the primitive is looked
 * up on the masters: all of them on the one master that owns the slot of the primitive's hash tag.
 *
 * The re-check that would catch a lost wake-up is set longer than the test's deadlines, so a waiter that
 * proceeds in time was woken by the server's message across the cluster, not by its re-check.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient, createCluster } from "redis";
import * as tk from "../../src/redis/index.ts";
import { Calls, stopProcess } from "../../tools/calls.ts";
import { freePort, type RedisServer, redisServerPath, startRedis } from "../../tools/redis-server.ts";
import { within } from "../helpers.ts";

/** Far longer than any deadline below: a waiter must be woken by its message, not by a re-check. */
const TIMING = { recheck: 40_000, waiterTtl: 120_000 };
/** How long a cross-process step may take on a loaded machine (well below the re-check). */
const STEP = 20_000;

type Cluster = ReturnType<typeof createCluster>;

type Request =
  | { op: "lock" | "unlock"; name: string }
  | { op: "put"; name: string; items: unknown[] }
  | { op: "get"; name: string; n: number }
  | { op: "sem" | "unsem"; name: string; value: number };

interface Answer {
  fence?: number;
  items?: unknown[];
}

async function connectCluster(urls: string[]): Promise<Cluster> {
  const cluster = createCluster({ rootNodes: urls.map((url) => ({ url })) });
  cluster.on("error", () => {});
  await cluster.connect();
  return cluster;
}

/**
 * The agent process: told the nodes' addresses once the cluster is whole, it connects, then runs each
 * request on the cluster and answers it (requests may run at once).
 */
async function agent(): Promise<void> {
  const urls = await new Promise<string[]>((resolve) => {
    process.once("message", (m: { connect: string[] }) => resolve(m.connect));
    process.send!({ loaded: true });
  });
  const cluster = await connectCluster(urls);
  tk.configure(TIMING);
  tk.setDefaultClient(cluster);
  const locks = new Map<string, tk.Lock>();
  const sems = new Map<string, tk.Semaphore>();
  const lock = (name: string) => locks.get(name) ?? locks.set(name, new tk.Lock({ name })).get(name)!;
  const sem = (name: string, value: number) =>
    sems.get(name) ?? sems.set(name, new tk.Semaphore(value, { name })).get(name)!;
  const run = async (m: Request): Promise<Answer> => {
    switch (m.op) {
      case "lock": {
        const l = lock(m.name);
        await l.acquire();
        return { fence: l.lease!.fence };
      }
      case "unlock":
        await lock(m.name).release();
        return {};
      case "put": {
        const q = new tk.Queue<unknown>(0, { name: m.name });
        for (const item of m.items) await q.put(item);
        return {};
      }
      case "get": {
        const q = new tk.Queue<unknown>(0, { name: m.name });
        const items: unknown[] = [];
        for (let i = 0; i < m.n; i++) items.push(await q.get());
        return { items };
      }
      case "sem": {
        const s = sem(m.name, m.value);
        await s.acquire();
        return { fence: s.lease!.fence };
      }
      case "unsem":
        await sem(m.name, m.value).release();
        return {};
    }
  };
  process.on("message", (m: Request & { id: number }) => {
    run(m).then(
      (answer) => process.send!({ id: m.id, ...answer }),
      (error: Error) => process.send!({ id: m.id, error: String(error?.stack ?? error) }),
    );
  });
  process.on("disconnect", () => {
    cluster.destroy();
    process.exit(0);
  });
  process.send!({ ready: true });
}

/** The agent process, seen from the test: forked at once, connected to the cluster once it is whole. */
class Agent {
  readonly proc: ChildProcess;
  private readonly loaded: Promise<void>;
  private ready: Promise<void> | undefined;
  private connected: () => void = () => {};
  private readonly calls: Calls<Answer>;

  constructor() {
    const env: NodeJS.ProcessEnv = { ...process.env, TK_CLUSTER_AGENT: "1" };
    delete env.NODE_TEST_CONTEXT; // it is an agent, not a test file of the runner
    this.proc = fork(new URL(import.meta.url), [], {
      execArgv: ["--import", "tsx"],
      env,
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    this.calls = new Calls(this.proc);
    this.loaded = new Promise((resolve, reject) => {
      this.proc.on("message", (m: Answer & { id?: number; loaded?: true; ready?: true; error?: string }) => {
        if (m.loaded) return resolve();
        if (m.ready) return this.connected();
        this.calls.answer(m);
      });
      this.proc.once("exit", (code, signal) => {
        const error = new Error(`agent exited (code ${code}, signal ${signal})`);
        reject(error);
        this.calls.failAll(error);
      });
    });
    this.loaded.catch(() => {}); // connect() reports it
  }

  /** Connects the agent to the cluster at `urls`; resolves once it takes requests. */
  connect(urls: string[]): Promise<void> {
    this.ready ??= this.loaded.then(() => {
      const connected = new Promise<void>((resolve) => {
        this.connected = resolve;
      });
      this.proc.send({ connect: urls });
      return within(connected, 30_000, "the agent's connection to the cluster");
    });
    return this.ready;
  }

  async call(request: Request): Promise<Answer> {
    if (this.ready === undefined) throw new Error("connect the agent first");
    await this.ready;
    return this.calls.send(request);
  }

  stop(): Promise<void> {
    return stopProcess(this.proc);
  }
}

function redisCli(): string {
  const beside = join(dirname(redisServerPath()), "redis-cli");
  return existsSync(beside) ? beside : "redis-cli";
}

function sh(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 30_000 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`${bin} ${args.join(" ")}: ${error.message}\n${stdout}${stderr}`))
        : resolve(stdout),
    );
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function suite(): void {
  const servers: RedisServer[] = [];
  /** A plain connection to each master, to look at what it holds. */
  const nodes: ReturnType<typeof createClient>[] = [];
  /** The slot ranges each master serves, by the index of its server. */
  const ranges: [number, number][][] = [];
  let cluster: Cluster;
  /** The tier's subscriber (a copy of `cluster`). */
  const copies: { readonly pubSubNode?: { address: string } }[] = [];
  let agent: Agent | undefined;

  before(async () => {
    agent = new Agent();
    for (let i = 0; i < 3; i++) {
      const bus = await freePort();
      servers.push(
        await startRedis([
          "--cluster-enabled",
          "yes",
          "--cluster-port",
          String(bus),
          "--cluster-node-timeout",
          "5000",
        ]),
      );
    }
    await sh(redisCli(), [
      "--cluster",
      "create",
      ...servers.map((s) => `127.0.0.1:${s.port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const s of servers) {
      const node = createClient({ url: s.url });
      node.on("error", () => {});
      await node.connect();
      nodes.push(node);
    }
    // Every node agrees the cluster is whole before any client maps its slots.
    const deadline = Date.now() + 30_000;
    for (const node of nodes) {
      while (!String(await node.sendCommand(["CLUSTER", "INFO"])).includes("cluster_state:ok")) {
        if (Date.now() > deadline) throw new Error("the cluster never reached cluster_state:ok");
        await sleep(100);
      }
    }
    const myIds = await Promise.all(nodes.map(async (n) => String(await n.sendCommand(["CLUSTER", "MYID"]))));
    const slots = (await nodes[0]!.sendCommand(["CLUSTER", "SLOTS"])) as [
      number,
      number,
      [string, number, string],
    ][];
    for (let i = 0; i < nodes.length; i++) {
      ranges.push(slots.filter((s) => s[2][2] === myIds[i]).map((s) => [Number(s[0]), Number(s[1])]));
    }
    const urls = servers.map((s) => s.url);
    cluster = await connectCluster(urls);
    // The tier's wake-up subscriber is a cluster.duplicate(): kept, to learn which node it listens on.
    const duplicate = cluster.duplicate.bind(cluster);
    (cluster as { duplicate: typeof duplicate }).duplicate = ((...args: Parameters<typeof duplicate>) => {
      const copy = duplicate(...args);
      copies.push(copy);
      return copy;
    }) as typeof duplicate;
    tk.configure(TIMING);
    tk.setDefaultClient(cluster);
    await agent.connect(urls);
  });

  after(async () => {
    await agent?.stop();
    tk.setDefaultClient(undefined);
    cluster?.destroy();
    for (const node of nodes) node.destroy();
    await Promise.all(servers.map((s) => s.stop()));
  });

  /** The slot of a key, as the cluster computes it. */
  const slotOf = async (key: string): Promise<number> =>
    Number(await nodes[0]!.sendCommand(["CLUSTER", "KEYSLOT", key]));
  const masterOf = (slot: number): number =>
    ranges.findIndex((r) => r.some(([a, b]) => slot >= a && slot <= b));

  /** A name `${prefix}-n` whose primitive lands on master `master`. */
  async function nameOn(prefix: string, master: number): Promise<string> {
    for (let n = 0; ; n++) {
      const name = `${prefix}-${n}`;
      if (masterOf(await slotOf(`tk:{${name}}`)) === master) return name;
    }
  }

  /** Waits until the server has a waiter in `line` (its enqueue ran). */
  async function inLine(key: string): Promise<void> {
    const deadline = Date.now() + STEP;
    while (Number(await cluster.sendCommand(key, true, ["LLEN", key])) < 1) {
      if (Date.now() > deadline) throw new Error(`nobody got in line ${key}`);
      await sleep(20);
    }
  }

  /**
   * Every key of primitive `name` on the masters: asserts they all share its hash tag's slot and sit on the
   * master that serves it, and that there are at least `least`; resolves that master.
   */
  async function keysOn(name: string, least: number): Promise<number> {
    const found: { node: number; key: string }[] = [];
    for (const [i, node] of nodes.entries()) {
      for (const key of (await node.sendCommand(["KEYS", `tk:{${name}}*`])) as string[])
        found.push({ node: i, key });
    }
    assert.ok(found.length >= least, `${name}: ${found.length} keys found, expected at least ${least}`);
    const tagSlot = await slotOf(`tk:{${name}}`);
    const master = masterOf(tagSlot);
    for (const { node, key } of found) {
      assert.ok(key.startsWith(`tk:{${name}}:`), `${key} carries the hash tag {${name}}`);
      assert.equal(await slotOf(key), tagSlot, `${key} is in the slot of {${name}}`);
      assert.equal(node, master, `${key} is on the master serving slot ${tagSlot}`);
    }
    return master;
  }

  const placed = new Map<string, number>();

  describe("Redis Cluster, 3 masters", () => {
    it("the cluster serves every slot from three masters", () => {
      assert.equal(ranges.length, 3);
      const total = ranges.flat().reduce((n, [a, b]) => n + b - a + 1, 0);
      assert.equal(total, 16384);
      for (const r of ranges) assert.ok(r.length > 0, "every master serves slots");
    });

    it("a Lock is handed from one process to the other and back, its fence growing", async () => {
      const name = await nameOn("cl-lock", 0);
      const mine = new tk.Lock({ name });
      assert.equal(await mine.acquire({ timeout: STEP }), true);
      const first = mine.lease!.fence;
      const theirs = agent!.call({ op: "lock", name });
      await inLine(`tk:{${name}}:lock:w`);
      placed.set("Lock", await keysOn(name, 3));
      await mine.release();
      const second = (await within(theirs, STEP, "the hand-off to the agent")).fence!;
      assert.ok(second > first, `fence ${second} > ${first}`);
      assert.equal(await mine.tryAcquire(), false);
      const back = mine.acquire({ timeout: STEP });
      await inLine(`tk:{${name}}:lock:w`);
      await agent!.call({ op: "unlock", name });
      assert.equal(await within(back, STEP, "the hand-off back"), true);
      assert.ok(mine.lease!.fence > second, `fence ${mine.lease!.fence} > ${second}`);
      await mine.release();
      assert.equal(await mine.locked(), false);
    });

    it("a Queue carries items between the processes, to a getter waiting for them", async () => {
      const name = await nameOn("cl-queue", 1);
      const q = new tk.Queue<unknown>(0, { name });
      const items = [1, "two", { three: [3] }, null, true];
      const theirs = agent!.call({ op: "get", name, n: items.length });
      await inLine(`tk:{${name}}:q:get:w`);
      placed.set("Queue", await keysOn(name, 2));
      for (const item of items) await q.put(item);
      assert.deepEqual((await within(theirs, STEP, "the agent's waiting get")).items, items);
      const mine = within(Promise.all([q.get(), q.get()]), STEP, "this process's waiting gets");
      await inLine(`tk:{${name}}:q:get:w`);
      await agent!.call({ op: "put", name, items: [7, 8] });
      assert.deepEqual(await mine, [7, 8]);
      assert.equal(await q.qsize(), 0);
    });

    it("a Semaphore hands a permit to the process waiting for it", async () => {
      const name = await nameOn("cl-sem", 2);
      const mine = new tk.Semaphore(2, { name });
      assert.equal(await mine.acquire({ timeout: STEP }), true);
      assert.equal(await mine.acquire({ timeout: STEP }), true);
      assert.equal(await mine.value, 0);
      const theirs = agent!.call({ op: "sem", name, value: 2 });
      await inLine(`tk:{${name}}:sem:w`);
      placed.set("Semaphore", await keysOn(name, 3));
      const newest = mine.lease!.fence;
      await mine.release();
      const got = await within(theirs, STEP, "the permit handed to the agent");
      assert.ok(got.fence! > newest, `fence ${got.fence} > ${newest}`);
      assert.equal(await mine.value, 0);
      await agent!.call({ op: "unsem", name, value: 2 });
      await mine.release();
      assert.equal(await mine.value, 2);
    });

    it("a waiter whose wake-up was lost while its subscriber reconnected proceeds once it is back", async () => {
      // The subscriber's node: its pub/sub connections are cut and its clients paused in one step, so the
      // subscriber cannot subscribe again before the release, made on another master, publishes the wake-up.
      assert.equal(copies.length, 1, "one subscriber for the client");
      const address = copies[0]!.pubSubNode!.address;
      const sub = servers.findIndex((s) => `127.0.0.1:${s.port}` === address);
      assert.ok(sub >= 0, `the subscriber's node ${address} is one of the masters`);
      const name = await nameOn("cl-lost", (sub + 1) % 3);
      await agent!.call({ op: "lock", name });
      const mine = new tk.Lock({ name });
      const waiting = mine.acquire({ timeout: STEP });
      await inLine(`tk:{${name}}:lock:w`);
      const pause = 2_000;
      const cut = nodes[sub]!.multi();
      cut.addCommand(["CLIENT", "KILL", "TYPE", "pubsub"]);
      cut.addCommand(["CLIENT", "PAUSE", String(pause), "ALL"]);
      await cut.exec();
      const cutAt = Date.now();
      await agent!.call({ op: "unlock", name });
      assert.ok(Date.now() - cutAt < pause, "the release ran while the subscriber's node was paused");
      // Its wake-up went nowhere; the re-check is 40 s away: the reconnect itself must make it look.
      assert.equal(await within(waiting, STEP, "the waiter after its subscriber reconnected"), true);
      await mine.release();
    });

    it("the three primitives live on three different masters", () => {
      assert.deepEqual(
        [...placed.keys()].sort(),
        ["Lock", "Queue", "Semaphore"],
        "each primitive's keys were looked up",
      );
      assert.deepEqual(new Set(placed.values()).size, 3, `masters: ${JSON.stringify([...placed])}`);
    });
  });
}

if (process.env.TK_CLUSTER_AGENT) await agent();
else suite();
