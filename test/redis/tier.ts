/**
 * The Redis tier as the contract suites see it: primitives of threadkit/redis on a redis-server started for
 * the test file, with unique names per primitive, and agents that are child processes (./agent.ts) which
 * receive the primitives by name. Children are kept in a pool and reused, each run being a task of its own;
 * the after() hook stops them, the client and the server, so that the test file ends by itself.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Redis } from "ioredis";
import { createClient } from "redis";
import type { PriorityQueueOptions } from "../../src/api/options.ts";
import type * as api from "../../src/api/primitives.ts";
import { errorFromRecord } from "../../src/internal/error-record.ts";
import * as tk from "../../src/redis/index.ts";
import { busy } from "../../src/redis/waker.ts";
import { type RedisServer, startRedis } from "../../tools/redis-server.ts";
import type { Agents, Tier } from "../contract/tier.ts";
import { sleep } from "../helpers.ts";
import { type Described, describeAs, wire } from "./wire.ts";

/** At most this many agent processes per test file; more agents share them. */
const MAX_AGENTS = 6;

export interface RedisTierOptions {
  /** Which client the test process and its agents use. */
  client?: "node-redis" | "ioredis";
}

interface AgentError {
  name?: string;
  code?: string;
  message?: string;
}

function rebuildError(e: AgentError): Error {
  if (e.code?.startsWith("ERR_") && e.name !== "TypeError" && e.name !== "RangeError") {
    return errorFromRecord({ code: e.code, message: e.message ?? "" });
  }
  const Class = e.name === "TypeError" ? TypeError : e.name === "RangeError" ? RangeError : Error;
  return new Class(e.message);
}

/**
 * ./agent.ts bundled (with the tier and node-redis) into one plain ES module in a folder of its own: an
 * agent then starts without a TypeScript loader, at about a quarter of the CPU (0.5 s instead of 1.9 s here).
 */
async function bundleAgent(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "threadkit-agent-"));
  await build({
    entryPoints: [fileURLToPath(new URL("./agent.ts", import.meta.url))],
    outfile: join(dir, "agent.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    // the bundled CommonJS packages require Node's own modules
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  return dir;
}

class Child {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  /** Ready for runs. */
  idle = false;
  /** Runs given to it and not yet answered. */
  load = 0;
  private seq = 0;
  private readonly calls = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private readonly pings = new Map<number, (busy: number) => void>();

  constructor(url: string, script: string, client: string) {
    this.proc = fork(script, [], {
      execArgv: [],
      serialization: "advanced",
      env: { ...process.env, TK_REDIS_URL: url, TK_CLIENT: client },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.ready = new Promise((resolve, reject) => {
      this.proc.once("error", reject);
      this.proc.on(
        "message",
        (m: {
          ready?: true;
          done?: number;
          ok?: unknown;
          error?: AgentError;
          pong?: number;
          busy?: number;
          running?: number;
        }) => {
          if (m.ready) return resolve();
          if (m.pong !== undefined) {
            this.pings.get(m.pong)?.(m.busy ?? 0);
            this.pings.delete(m.pong);
            return;
          }
          const call = this.calls.get(m.done!);
          if (call === undefined) return;
          this.calls.delete(m.done!);
          if (m.error) call.reject(rebuildError(m.error));
          else call.resolve(m.ok);
        },
      );
      this.proc.once("exit", (code) => {
        reject(new Error(`agent process exited with ${code} before it was ready`));
        for (const call of this.calls.values()) call.reject(new Error(`agent process exited with ${code}`));
        this.calls.clear();
        for (const ping of this.pings.values()) ping(0);
      });
    });
  }

  run(body: string, args: unknown[]): Promise<unknown> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.proc.send({ run: id, body, args });
    });
  }

  /** How many calls of this agent are on their way (not parked on the server). */
  ping(): Promise<number> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve(0);
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.pings.set(id, resolve);
      this.proc.send({ ping: id });
    });
  }

  get running(): boolean {
    return this.calls.size > 0;
  }
}

export interface RedisTier extends Tier {
  /** The server of the test file (started in `before`). */
  server(): RedisServer;
  /** The test process's client. */
  client(): object;
}

/** A Redis tier bound to the current test file: starts a server and a client before, stops both after. */
export function redisTier(options: RedisTierOptions = {}): RedisTier {
  let server: RedisServer | undefined;
  let client: { destroy?(): void; disconnect?(): void } | undefined;
  let agentDir: string | undefined;
  const children: Child[] = [];
  const starting = new Set<Promise<unknown>>();
  const prefix = `t${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  let seq = 0;
  const next = (kind: string) => `${prefix}-${kind}-${++seq}`;

  before(async () => {
    [server, agentDir] = await Promise.all([startRedis(), bundleAgent()]);
    if (options.client === "ioredis") {
      const io = new Redis(server.port, "127.0.0.1", { lazyConnect: false, maxRetriesPerRequest: null });
      io.on("error", () => {});
      await new Promise<void>((resolve) => io.once("ready", () => resolve()));
      client = io;
    } else {
      const nr = createClient({ url: server.url });
      nr.on("error", () => {});
      await nr.connect();
      client = nr;
    }
    tk.setDefaultClient(client);
    // Agents kept warm, so that tests do not wait for Node and tsx to start one.
    for (let i = 0; i < MAX_AGENTS; i++) children.push(start());
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.idle = true;
  });

  after(async () => {
    for (const c of children) c.proc.kill("SIGKILL");
    tk.setDefaultClient(undefined);
    if (client?.destroy) client.destroy();
    else client?.disconnect?.();
    await server?.stop();
    if (agentDir) rmSync(agentDir, { recursive: true, force: true });
  });

  function start(): Child {
    return new Child(server!.url, join(agentDir!, "agent.mjs"), options.client ?? "node-redis");
  }

  /**
   * An agent process for one more run: an idle one, else a new one while there are fewer than MAX_AGENTS,
   * else the least busy (runs in one process are tasks of their own, so they are still separate owners).
   */
  async function child(): Promise<Child> {
    const ready = children.filter((c) => c.idle);
    if (ready.length === 0 && children.length >= MAX_AGENTS) {
      await Promise.race(children.map((c) => c.ready));
      return child();
    }
    const free = ready.find((c) => c.load === 0);
    if (free || children.length >= MAX_AGENTS) {
      const c = free ?? ready.reduce((a, b) => (b.load < a.load ? b : a));
      c.load++;
      return c;
    }
    const c = start();
    children.push(c);
    c.load++;
    await c.ready;
    c.idle = true;
    return c;
  }

  const agents: Agents = {
    kind: "processes",
    async spawn<A extends unknown[], R>(body: (...args: A) => Promise<R>, ...args: A): Promise<R> {
      const pending = child();
      starting.add(pending);
      let c: Child;
      try {
        c = await pending;
      } finally {
        starting.delete(pending);
      }
      try {
        return (await c.run(body.name, args.map(wire))) as R;
      } finally {
        c.load--;
      }
    },
    /**
     * Waits until every agent is parked on the server or done, and this process's calls too, for three
     * looks in a row 25 ms apart; at most ~5 s past the start-ups.
     */
    async settle() {
      while (starting.size > 0) await Promise.race([...starting, sleep(1000)]).catch(() => {});
      const until = performance.now() + 5_000;
      let quiet = 0;
      while (quiet < 3 && performance.now() < until) {
        await sleep(25);
        const others = await Promise.all(children.filter((c) => c.running).map((c) => c.ping()));
        quiet = busy() === 0 && others.every((n) => n === 0) ? quiet + 1 : 0;
      }
    },
  };

  const d = <P extends object>(primitive: P, kind: string, name: string, extra: Partial<Described> = {}): P =>
    describeAs(primitive, { __tk: kind, name, ...extra });

  return {
    name: options.client === "ioredis" ? "redis+ioredis" : "redis",
    server: () => server!,
    client: () => client!,
    Lock: () => {
      const name = next("lock");
      return d(new tk.Lock({ name }), "Lock", name) as unknown as api.Lock;
    },
    RLock: () => {
      const name = next("rlock");
      return d(new tk.RLock({ name }), "RLock", name) as unknown as api.RLock;
    },
    Condition: (lock) => {
      const name = next("cond");
      if (lock === undefined)
        return d(new tk.Condition({ name }), "Condition", name) as unknown as api.Condition;
      const inner = wire(lock) as Described;
      return d(new tk.Condition(lock as unknown as tk.Lock, { name }), "Condition", name, {
        lock: inner,
      }) as unknown as api.Condition;
    },
    Semaphore: (value) => {
      const name = next("sem");
      return d(new tk.Semaphore(value, { name }), "Semaphore", name, {
        arg: value,
      }) as unknown as api.Semaphore;
    },
    BoundedSemaphore: (value) => {
      const name = next("bsem");
      return d(new tk.BoundedSemaphore(value, { name }), "BoundedSemaphore", name, {
        arg: value,
      }) as unknown as api.BoundedSemaphore;
    },
    Event: () => {
      const name = next("event");
      return d(new tk.Event({ name }), "Event", name) as unknown as api.Event;
    },
    Barrier: (parties, opts) => {
      const name = next("barrier");
      // Options that are not an object go through as they are: the Barrier itself must refuse them.
      const options =
        opts === undefined || (typeof opts === "object" && opts !== null) ? { ...opts, name } : opts;
      return d(new tk.Barrier(parties, options as tk.BarrierOptions & tk.RedisOptions), "Barrier", name, {
        arg: parties,
      }) as unknown as api.Barrier;
    },
    Queue: <T>(maxsize?: number): api.Queue<T> => {
      const name = next("queue");
      return d(new tk.Queue<T>(maxsize, { name }), "Queue", name, {
        arg: maxsize,
      }) as unknown as api.Queue<T>;
    },
    LifoQueue: <T>(maxsize?: number): api.Queue<T> => {
      const name = next("lifo");
      return d(new tk.LifoQueue<T>(maxsize, { name }), "LifoQueue", name, {
        arg: maxsize,
      }) as unknown as api.Queue<T>;
    },
    PriorityQueue: <T>(maxsize?: number, opts?: PriorityQueueOptions<T>): api.Queue<T> => {
      const name = next("prio");
      return d(new tk.PriorityQueue<T>(maxsize, { ...opts, name }), "PriorityQueue", name, {
        arg: maxsize,
      }) as unknown as api.Queue<T>;
    },
    SimpleQueue: <T>(): api.SimpleQueue<T> => {
      const name = next("simple");
      return d(new tk.SimpleQueue<T>({ name }), "SimpleQueue", name) as unknown as api.SimpleQueue<T>;
    },
    agents,
  };
}
