/**
 * Worker entry of test/threads/barrier.test.ts: runs the task named in workerData with its args (handles
 * made live) and posts `{ ok }` or `{ error }`. Progress the test must see goes through shared words.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Barrier } from "../../src/threads/barrier.ts";
import { fromHandle, isHandle, toHandle } from "../../src/threads/handle.ts";

type Mode = "sync" | "async";

/**
 * How long a party waits for the others to queue: only a hang exceeds it, since the others may be workers
 * still starting, which takes seconds on a loaded machine (this worker cannot see their start-up).
 */
const QUEUE_BOUND = 120_000;

const wait = (barrier: Barrier, mode: Mode, timeout?: number) => {
  const opts = timeout === undefined ? undefined : { timeout };
  return mode === "sync" ? barrier.waitSync(opts) : barrier.wait(opts);
};

const tasks = {
  /**
   * `rounds` waits in a row. Before round r it counts itself in `arrived[r]`; once it passes it checks that
   * all `parties` had arrived (nobody passed early) and, if `acted` is given, that the action of round r had
   * run (`acted[0] > r`). Returns the indices and how many checks failed.
   */
  async rounds(barrier: Barrier, rounds: number, mode: Mode, arrived: Int32Array, acted?: Int32Array) {
    const indices: number[] = [];
    let early = 0;
    for (let r = 0; r < rounds; r++) {
      Atomics.add(arrived, r, 1);
      indices.push(await wait(barrier, mode));
      if (Atomics.load(arrived, r) !== barrier.parties) early++;
      if (acted !== undefined && Atomics.load(acted, 0) <= r) early++;
    }
    return { indices, early };
  },

  /** Waits until `n` tickets are queued at the barrier (a deadline, never a guess), then waits once. */
  async arriveAfter(barrier: Barrier, n: number, mode: Mode) {
    const deadline = performance.now() + QUEUE_BOUND;
    while (barrier._core.size < n) {
      if (performance.now() > deadline) throw new Error(`${n} parties did not queue`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return wait(barrier, mode);
  },

  /** One wait; returns the index, or the error's name and code (and its message, if `message`). */
  async once(barrier: Barrier, mode: Mode, timeout?: number, message?: boolean) {
    try {
      return { index: await wait(barrier, mode, timeout) };
    } catch (e) {
      const error = e as { name: string; code?: string; message: string };
      return message
        ? { name: error.name, code: error.code, message: error.message }
        : { name: error.name, code: error.code };
    }
  },

  /** As `once`, once `n` tickets are queued (so this party arrives last). */
  async onceAfter(barrier: Barrier, n: number, mode: Mode) {
    const deadline = performance.now() + QUEUE_BOUND;
    while (barrier._core.size < n) {
      if (performance.now() > deadline) throw new Error(`${n} parties did not queue`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return tasks.once(barrier, mode, undefined, true);
  },

  /**
   * Makes a Barrier(2) whose action blocks this thread for good (after it sets `inAction[0]`), posts
   * `{ handle }`, and waits on it blocking: being its home, this party runs the action of its round.
   */
  homeThatHangs(inAction: Int32Array) {
    const barrier = new Barrier(2, {
      action: () => {
        Atomics.store(inAction, 0, 1);
        Atomics.wait(inAction, 0, 1); // nobody changes it: blocked until terminated
      },
    });
    parentPort!.postMessage({ handle: toHandle(barrier) });
    return barrier.waitSync();
  },

  /** Queues an async wait, then keeps its event loop busy (blocked) so that it can never collect its grant. */
  waitThenBlock(barrier: Barrier) {
    barrier.wait().catch(() => {});
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
    return null;
  },

  /** A blocking wait with bad options: what it throws, and whether it threw before queueing. */
  badSync(barrier: Barrier, opts: unknown) {
    try {
      barrier.waitSync(opts as never);
      return null;
    } catch (e) {
      return { name: (e as Error).name, queued: barrier._core.size };
    }
  },
};

export type BarrierTasks = typeof tasks;

const { name, args } = workerData as { name: keyof typeof tasks; args: unknown[] };
const live = args.map((a) => (isHandle(a) ? fromHandle(a) : a));
try {
  const table = tasks as unknown as Record<string, (...a: unknown[]) => unknown>;
  parentPort!.postMessage({ ok: await table[name]!(...live) });
} catch (e) {
  const error = e as { name?: string; code?: string; message?: string };
  parentPort!.postMessage({ error: { name: error.name, code: error.code, message: error.message } });
}
