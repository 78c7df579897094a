/**
 * A process of the Redis workloads (forked by ./procs.ts): it connects to the bench's redis-server
 * (BENCH_REDIS_URL) and runs one request at a time from its parent, answering each. Times are
 * process.hrtime.bigint() readings, which count from the same moment in every process of the machine
 * (CLOCK_MONOTONIC), so a release read here and a grant read in another process can be subtracted.
 */
import { Redis } from "ioredis";
import { createClient } from "redis";
import { Mutex } from "redis-semaphore";
import { createLock, IoredisAdapter, type LockHandle } from "redlock-universal";
import { Lock, Queue, setDefaultClient } from "threadkit/redis";
import { REDLOCK_RETRY_MS, type Reply, type Request } from "./protocol.ts";

const url = process.env.BENCH_REDIS_URL!;
const client = createClient({ url });
client.on("error", () => {});
await client.connect();
setDefaultClient(client);
// A second connection for BLPOP, which holds its connection while it blocks.
const blocking = createClient({ url });
blocking.on("error", () => {});
await blocking.connect();
// The bare wake-up's subscriber: a connection of its own, as a subscribed connection sends nothing else.
const subscriber = client.duplicate();
subscriber.on("error", () => {});
await subscriber.connect();
let onWake: (() => void) | undefined;
const io = new Redis(url, { lazyConnect: true });
io.on("error", () => {});
await io.connect();

const clock = (): number => Number(process.hrtime.bigint());

/** The lock of the current hand-off contender, as this process sees it. */
interface Held {
  /** Takes the lock when nobody holds it (the first holder of a run); acquire() by default. */
  hold?(): Promise<void>;
  acquire(): Promise<void>;
  release(): Promise<void>;
}

async function lockOf(contender: string, name: string): Promise<Held> {
  if (contender.startsWith("PUBLISH")) {
    // The least a hand-off woken by the server costs: the release is a PUBLISH, the waiter is woken by the
    // message, and has what it was handed on receipt (or, "+ PING", sends one command back first, as a
    // waiter that claims what it was handed does).
    const claims = contender.includes("PING");
    await subscriber.unsubscribe();
    await subscriber.subscribe(name, () => onWake?.());
    return {
      hold: async () => {},
      acquire: () =>
        new Promise<void>((resolve) => {
          onWake = () => {
            onWake = undefined;
            if (claims) client.sendCommand(["PING"]).then(() => resolve());
            else resolve();
          };
        }),
      release: () => client.sendCommand(["PUBLISH", name, "x"]).then(() => {}),
    };
  }
  if (contender.startsWith("threadkit")) {
    const lock = new Lock({ name });
    return {
      acquire: async () => {
        await lock.acquire();
      },
      release: () => lock.release(),
    };
  }
  if (contender.startsWith("redis-semaphore")) {
    // Defaults (it polls every 10 ms), a generous acquireTimeout so that a slow machine cannot fail a sample.
    const mutex = new Mutex(io, name, { acquireTimeout: 60_000 });
    return { acquire: () => mutex.acquire(), release: () => mutex.release() };
  }
  if (contender.startsWith("redlock-universal")) {
    // Its default retry delay (100 ms); more attempts than its default 3, so that a waiter never gives up.
    const lock = createLock({
      adapter: new IoredisAdapter(io),
      key: name,
      retryAttempts: 1_000,
      retryDelay: REDLOCK_RETRY_MS,
    });
    let handle: LockHandle | undefined;
    return {
      acquire: async () => {
        handle = await lock.acquire();
      },
      release: () => lock.release(handle!).then(() => {}),
    };
  }
  throw new Error(`no lock for ${contender}`);
}

let lock: Held | undefined;
let waiting: Promise<number> | undefined;

async function produce(contender: string, name: string, n: number): Promise<number> {
  const start = clock();
  if (contender.startsWith("threadkit")) {
    const q = new Queue<number>(contender.includes("(100)") ? 100 : 0, { name });
    for (let i = 0; i < n; i++) await q.put(i);
  } else {
    for (let i = 0; i < n; i++) await client.sendCommand(["LPUSH", name, String(i)]);
  }
  return start;
}

async function consume(contender: string, name: string, n: number): Promise<[number, number]> {
  let sum = 0;
  if (contender.startsWith("threadkit")) {
    const q = new Queue<number>(contender.includes("(100)") ? 100 : 0, { name });
    for (let i = 0; i < n; i++) sum += await q.get();
  } else {
    for (let i = 0; i < n; i++) {
      const [, item] = (await blocking.sendCommand(["BLPOP", name, "0"])) as [string, string];
      sum += Number(item);
    }
  }
  return [clock(), sum];
}

async function handle(m: Request): Promise<Reply> {
  switch (m.op) {
    case "lock":
      lock = await lockOf(m.contender, m.name);
      return {};
    case "hold":
      await (lock!.hold ?? lock!.acquire)();
      return {};
    case "wait":
      waiting = lock!.acquire().then(clock);
      waiting.catch(() => {});
      return {};
    case "got":
      return { t: await waiting! };
    case "release": {
      const t = clock();
      await lock!.release();
      return { t };
    }
    case "produce":
      return { t: await produce(m.contender, m.name, m.n) };
    case "consume": {
      const [t, sum] = await consume(m.contender, m.name, m.n);
      return { t, sum };
    }
  }
}

process.on("message", (m: Request & { id: number }) => {
  handle(m).then(
    (reply) => process.send!({ id: m.id, ...reply }),
    (error) => process.send!({ id: m.id, error: String((error as Error)?.stack ?? error) }),
  );
});
process.on("disconnect", () => process.exit(0));
process.send!({ ready: true });
