/**
 * The bench process's side of the Redis workloads: the redis-server they run against (started and stopped
 * as the tests do, on a free loopback port, with no persistence), the agent processes (./agent.ts) and one
 * request at a time to each, and the floor every figure is read against: a bare PING round trip.
 */
import { type ChildProcess, fork } from "node:child_process";
import { createClient } from "redis";
import { Calls, stopProcess } from "../../tools/calls.ts";
import { type RedisServer, startRedis } from "../../tools/redis-server.ts";
import { clock, type Target } from "../harness.ts";
import type { Reply, Request } from "./protocol.ts";

export type NodeRedis = ReturnType<typeof createClient>;

export class Agent {
  private readonly proc: ChildProcess;
  private readonly ready: Promise<void>;
  private readonly calls: Calls<Reply>;

  constructor(url: string) {
    this.proc = fork(new URL("./agent.ts", import.meta.url), [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, BENCH_REDIS_URL: url },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.calls = new Calls(this.proc);
    this.ready = new Promise((resolve, reject) => {
      this.proc.on("message", (m: Reply & { id?: number; ready?: true; error?: string }) => {
        if (m.ready) return resolve();
        this.calls.answer(m);
      });
      this.proc.once("exit", (code, signal) => {
        const error = new Error(`agent process exited (code ${code}, signal ${signal})`);
        reject(error);
        this.calls.failAll(error);
      });
    });
  }

  async call(request: Request): Promise<Reply> {
    await this.ready;
    return this.calls.send(request);
  }

  stop(): Promise<void> {
    return stopProcess(this.proc);
  }
}

/** The server, the bench process's own node-redis client, and agents, made by `open` and undone by `close`. */
export class Setup {
  server: RedisServer | undefined;
  client: NodeRedis | undefined;
  agents: Agent[] = [];

  async open(agents: number): Promise<{ server: RedisServer; client: NodeRedis; agents: Agent[] }> {
    const server = (this.server = await startRedis());
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    await client.connect();
    this.client = client;
    this.agents = Array.from({ length: agents }, () => new Agent(server.url));
    return { server, client, agents: this.agents };
  }

  async close(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
    this.agents = [];
    this.client?.destroy();
    this.client = undefined;
    await this.server?.stop();
    this.server = undefined;
  }
}

export const PING = "PING round trip";

/** `n` PINGs one after another; resolves the ns they took. */
export async function pings(client: NodeRedis, n: number): Promise<number> {
  const t0 = clock();
  for (let i = 0; i < n; i++) await client.sendCommand(["PING"]);
  return Number(clock() - t0);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const rtt = (ns: number, ping: number): string => `${(ns / ping).toFixed(1)} RTT`;
const ms = (ns: number): string => `${(ns / 1e6).toFixed(3)} ms`;

/**
 * `of`'s median is at most `k` PING round trips. The detail gives every contender of `all` in round trips,
 * so the table's figures can be read against the floor.
 */
export function withinRtt(of: string, k: number, all: readonly string[], text: string): Target {
  return {
    text,
    check(m) {
      const ping = m.get(PING);
      const a = m.get(of);
      if (ping === undefined || a === undefined) return { ok: null, detail: "not measured" };
      const each = all
        .filter((n) => m.has(n))
        .map((n) => `${n} ${ms(m.get(n)!)} = ${rtt(m.get(n)!, ping)}`)
        .join("; ");
      return {
        ok: a <= k * ping,
        detail: `${of} ${rtt(a, ping)} (need <= ${k}); PING ${ms(ping)}. ${each}`,
      };
    },
  };
}
