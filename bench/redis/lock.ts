/**
 * Redis tier, Lock: the uncontended acquire+release in one process, and the hand-off between two
 * processes (a waiting process gets a lock another process releases), against redis-semaphore's Mutex and
 * redlock-universal, both with their defaults, on the same server. The floor is a bare PING round trip.
 */
import { Redis } from "ioredis";
import { Mutex } from "redis-semaphore";
import { createLock, IoredisAdapter } from "redlock-universal";
import { Lock } from "threadkit/redis";
import { type Contender, clock, median, speedup, type Target, type Workload } from "../harness.ts";
import { type Agent, type NodeRedis, PING, pings, Setup, sleep, withinRtt } from "./procs.ts";
import { REDLOCK_RETRY_MS, SEMAPHORE_RETRY_MS } from "./protocol.ts";

const setup = new Setup();
let io: Redis | undefined;

async function close(): Promise<void> {
  io?.disconnect();
  io = undefined;
  await setup.close();
}

let names = 0;
const fresh = (what: string): string => `bench-${what}-${process.pid}-${++names}`;

const TK = "threadkit Lock acquire()+release()";
const TK_RUN = "threadkit Lock run(noop)";
const SETDEL = "SET NX PX + DEL";
const RS = "redis-semaphore Mutex acquire()+release()";
const RL = "redlock-universal acquire()+release()";

/** Commands the threadkit rows sent per cycle, sample by sample (counted on the client). */
const perCycle: number[] = [];
/** Server time of one script call in those samples, in us (INFO commandstats). */
const scriptUs: number[] = [];

/** The server's mean time per call of `command` since the last CONFIG RESETSTAT, in us. */
async function serverUs(client: NodeRedis, command: string): Promise<number> {
  const stats = String(await client.sendCommand(["INFO", "commandstats"]));
  const found = new RegExp(`cmdstat_${command}:calls=\\d+,usec=\\d+,usec_per_call=([\\d.]+)`).exec(stats);
  return found ? Number(found[1]) : Number.NaN;
}

const oneEach: Target = {
  text: "acquire and release one round trip each (commands counted on the client)",
  check() {
    if (perCycle.length === 0) return { ok: null, detail: "not measured" };
    const most = Math.max(...perCycle);
    const script = median(scriptUs);
    return {
      ok: most <= 2,
      detail:
        `at most ${most.toFixed(2)} commands per cycle (need <= 2); the server runs each script call in ` +
        `${script.toFixed(1)} us (median of the samples' INFO commandstats)`,
    };
  },
};

export const uncontended: Workload = {
  name: "redis.lock.uncontended",
  title: "uncontended Lock acquire+release, one process",
  show: "ns/op",
  op: "cycle",
  ops: 2_000,
  reference: TK,
  targets: [
    oneEach,
    speedup(TK, SETDEL, 1 / 1.25, "a cycle within 1.25x a bare SET NX PX + DEL (two round trips)"),
    withinRtt(TK, 2.5, [SETDEL, TK, TK_RUN, RS, RL], "a cycle within 2.5 PING round trips"),
  ],
  notes: ["Every row runs in the bench process against the same loopback redis-server."],
  async prepare(ctx) {
    const { server, client } = await setup.open(0);
    io = new Redis(server.url, { lazyConnect: true });
    io.on("error", () => {});
    await io.connect();
    const ops = ctx.quick ? 500 : 2_000;
    let sent = 0;
    const send = client.sendCommand.bind(client);
    (client as unknown as { sendCommand: typeof send }).sendCommand = ((...a: Parameters<typeof send>) => {
      sent++;
      return send(...a);
    }) as typeof send;
    const lock = new Lock({ name: fresh("uncontended"), client });
    await lock.acquire(); // the first wait of a client subscribes its wake-up connection: not a cycle's cost
    await lock.release();
    const counted = async (n: number, body: () => Promise<void>): Promise<number> => {
      await client.sendCommand(["CONFIG", "RESETSTAT"]);
      const before = sent;
      const t0 = clock();
      for (let i = 0; i < n; i++) await body();
      const ns = Number(clock() - t0);
      perCycle.push((sent - before) / n);
      scriptUs.push(await serverUs(client, "evalsha"));
      return ns;
    };
    const rs = new Mutex(io, fresh("rs"));
    const rl = createLock({ adapter: new IoredisAdapter(io), key: fresh("rl") });
    const key = fresh("setdel");
    return [
      { name: PING, kind: "floor", ops: ops * 2, run: (n) => pings(client, n) },
      {
        name: SETDEL,
        kind: "floor",
        note: "the least a lock costs: two round trips",
        run: async (n) => {
          const t0 = clock();
          for (let i = 0; i < n; i++) {
            await client.sendCommand(["SET", key, "x", "NX", "PX", "30000"]);
            await client.sendCommand(["DEL", key]);
          }
          return Number(clock() - t0);
        },
      },
      {
        name: TK,
        kind: "threadkit",
        run: (n) =>
          counted(n, async () => {
            await lock.acquire();
            await lock.release();
          }),
      },
      {
        name: TK_RUN,
        kind: "threadkit",
        run: (n) => counted(n, () => lock.run(() => {})),
      },
      {
        name: RS,
        kind: "competitor",
        run: async (n) => {
          const t0 = clock();
          for (let i = 0; i < n; i++) {
            await rs.acquire();
            await rs.release();
          }
          return Number(clock() - t0);
        },
      },
      {
        name: RL,
        kind: "competitor",
        run: async (n) => {
          const t0 = clock();
          for (let i = 0; i < n; i++) await rl.release(await rl.acquire());
          return Number(clock() - t0);
        },
      },
    ] satisfies Contender[];
  },
  close,
};

const WAKE = "PUBLISH wake-up + PING";
const WAKE_ONLY = "PUBLISH wake-up";
const TK_WAIT = "threadkit Lock";
const RS_WAIT = "redis-semaphore Mutex";
const RL_WAIT = "redlock-universal lock";

/** The server has `name`'s waiter in line (its enqueue ran): only then is a threadkit waiter really waiting. */
async function inLine(client: Setup["client"], name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Number(await client!.sendCommand(["LLEN", `tk:{${name}}:lock:w`])) < 1) {
    if (Date.now() > deadline) throw new Error("the waiter never got in line");
    await sleep(0.5);
  }
}

/**
 * `n` hand-offs of a fresh lock between the two agents, each in turn the holder; resolves the sum of the
 * latencies (release sent → acquire resolved in the other process). The holder releases a random while
 * after the waiter started, spread over the contender's polling period, so a polling lock is caught at
 * every phase of its period, as in real use.
 */
async function handoffs(contender: string, agents: Agent[], n: number, period: number): Promise<number> {
  const name = fresh("handoff");
  await Promise.all(agents.map((a) => a.call({ op: "lock", contender, name })));
  let [holder, waiter] = agents as [Agent, Agent];
  await holder.call({ op: "hold" });
  let total = 0;
  for (let i = 0; i < n; i++) {
    await waiter.call({ op: "wait" });
    if (contender === TK_WAIT) await inLine(setup.client, name);
    await sleep(2 + Math.random() * period);
    const released = await holder.call({ op: "release" });
    const got = await waiter.call({ op: "got" });
    total += got.t! - released.t!;
    [holder, waiter] = [waiter, holder];
  }
  await holder.call({ op: "release" });
  return total;
}

export const handoff: Workload = {
  name: "redis.lock.handoff",
  title: "a waiting process gets a lock another process releases",
  show: "ns/op",
  op: "hand-off",
  ops: 40,
  reference: TK_WAIT,
  targets: [
    withinRtt(
      TK_WAIT,
      2,
      [WAKE_ONLY, WAKE, TK_WAIT, RS_WAIT, RL_WAIT],
      "the waiter has the lock within 2 RTT of the release",
    ),
    speedup(TK_WAIT, WAKE, 1 / 2, "within 2x the bare server-woken hand-off (PUBLISH, then one command)"),
    speedup(TK_WAIT, RS_WAIT, 20, "at least 20x sooner than redis-semaphore"),
    speedup(TK_WAIT, RL_WAIT, 200, "at least 200x sooner than redlock-universal"),
  ],
  notes: [
    "A hand-off is timed from just before the holder's process sends its release to when the waiting " +
      "process's acquire resolves (process.hrtime, one clock for every process of the machine).",
    `Competitors run with their defaults: redis-semaphore polls every ${SEMAPHORE_RETRY_MS} ms, ` +
      `redlock-universal retries every ${REDLOCK_RETRY_MS} ms (given more attempts than its default 3, so ` +
      "that no waiter gives up). The release comes 2 ms plus a random part of that period after the " +
      "waiter started; threadkit's waiter is first seen in line on the server.",
    "PING is the bench process's, sent in a loop (a process kept busy); each agent process has its own " +
      "clients. PUBLISH wake-up is the least a hand-off woken by the server costs between two processes " +
      "(the waiter has the lock on receipt, as threadkit's does), + PING that of one claiming it in one " +
      "more round trip: the distance of PUBLISH wake-up from the PING row is what waking an idle process " +
      "costs on the machine.",
  ],
  async prepare(ctx) {
    const { client, agents } = await setup.open(2);
    const few = (full: number, quick: number) => (ctx.quick ? quick : full);
    return [
      { name: PING, kind: "floor", ops: 2_000, run: (n) => pings(client, n) },
      {
        name: WAKE_ONLY,
        kind: "floor",
        ops: few(40, 10),
        note: "the release is a PUBLISH; the waiter is done when woken by it",
        run: (n) => handoffs(WAKE_ONLY, agents, n, SEMAPHORE_RETRY_MS),
      },
      {
        name: WAKE,
        kind: "floor",
        ops: few(40, 10),
        note: "the release is a PUBLISH; the waiter, woken by it, sends a PING",
        run: (n) => handoffs(WAKE, agents, n, SEMAPHORE_RETRY_MS),
      },
      {
        name: TK_WAIT,
        kind: "threadkit",
        ops: few(40, 10),
        run: (n) => handoffs(TK_WAIT, agents, n, SEMAPHORE_RETRY_MS),
      },
      {
        name: RS_WAIT,
        kind: "competitor",
        ops: few(20, 6),
        run: (n) => handoffs(RS_WAIT, agents, n, SEMAPHORE_RETRY_MS),
      },
      {
        name: RL_WAIT,
        kind: "competitor",
        ops: few(8, 3),
        run: (n) => handoffs(RL_WAIT, agents, n, REDLOCK_RETRY_MS),
      },
    ];
  },
  close,
};
