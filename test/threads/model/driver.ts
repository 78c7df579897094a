/**
 * The step-by-step driver of the model tests: agents (the main thread and real workers) that make one call
 * each at the test's command, and read-only looks at a primitive's shared words (./layout.ts names) that say
 * whether a waiter has provably queued, and in which order the FIFO holds whom.
 *
 * A worker runs ./agent-worker.ts bundled by esbuild into one plain module (the library's sources with it),
 * so that it boots in tens of milliseconds: a schedule that kills workers starts one per kill.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { build } from "esbuild";
import type { Handle } from "../../../src/threads/handle.ts";
import {
  CAPACITY_WORD,
  CELL,
  CELL_NEXT,
  CELL_OWNER,
  GRANTED,
  GUARD,
  HEAD,
  HEADER,
  NONE,
  SLEEPING,
  WAITING,
} from "../../../src/threads/layout.ts";
import { isDead } from "../../../src/threads/liveness.ts";
import { type Call, type Outcome, perform } from "./calls.ts";

/** Bounds every wait of the driver: only a hang reaches it, however loaded the machine. */
export const BOUND = 60_000;

let bundled: Promise<string> | undefined;
let dir: string | undefined;

/** The agent worker as one plain module (built once per process). */
function agentModule(): Promise<string> {
  bundled ??= (async () => {
    dir = mkdtempSync(join(tmpdir(), "threadkit-model-"));
    const outfile = join(dir, "agent-worker.mjs");
    await build({
      entryPoints: [fileURLToPath(new URL("./agent-worker.ts", import.meta.url))],
      outfile,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "silent",
    });
    return outfile;
  })();
  return bundled;
}

/** Removes the bundle (call in `after()`). */
export function cleanUp(): void {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds; fails after BOUND ms (a hang). */
export async function until(check: () => boolean, what: () => string): Promise<void> {
  const deadline = performance.now() + BOUND;
  while (!check()) {
    if (performance.now() > deadline) assert.fail(`${what()}: not within ${BOUND} ms`);
    await sleep(1);
  }
}

/** A call the driver made, and what it came to once it settled. */
export class Pending {
  outcome: Outcome | undefined;
  constructor(readonly call: Call) {}
}

let ids = 0;

/*
 * Booted workers. A worker boots in ~50 ms on an idle machine but ~700 ms at a load average of 17, so
 * SPARES are booted ahead, while a schedule runs (it waits most of the time).
 */
const SPARES = 4;
const spares: Promise<Worker>[] = [];
const all = new Set<Worker>();
const exits = new WeakMap<Worker, Promise<void>>();

function boot(): Promise<Worker> {
  return agentModule().then(
    (file) =>
      new Promise<Worker>((resolve, reject) => {
        const worker = new Worker(file);
        all.add(worker);
        exits.set(worker, new Promise((done) => worker.once("exit", () => done())));
        worker.once("exit", () => all.delete(worker));
        worker.once("message", () => resolve(worker));
        worker.once("error", reject);
        worker.once("exit", (code) => reject(new Error(`agent worker exited with ${code} while booting`)));
      }),
  );
}

function refill(): void {
  while (spares.length < SPARES) {
    const p = boot();
    p.catch(() => {}); // seen when taken
    spares.push(p);
  }
}

async function takeWorker(): Promise<Worker> {
  refill();
  const worker = await spares.shift()!;
  refill();
  return worker;
}

/** Terminates every worker (call in `after()`, with `cleanUp`). */
export async function stopAll(): Promise<void> {
  const booting = spares.splice(0);
  await Promise.allSettled(booting);
  await Promise.all([...all].map((w) => w.terminate()));
}

/**
 * One agent: the main thread (`worker` undefined; it makes its calls itself, async ones only) or a worker.
 * `owner` is its owner word in the primitives (thread id + 1).
 */
export class Agent {
  private readonly calls = new Map<number, Pending>();
  private readonly controllers = new Map<number, AbortController>();
  private readonly onMessage = (m: { id: number; outcome: Outcome }): void => this.settle(m.id, m.outcome);

  private constructor(
    readonly primitive: unknown,
    readonly worker: Worker | undefined,
    readonly owner: number,
  ) {}

  static main(primitive: unknown): Agent {
    return new Agent(primitive, undefined, 1);
  }

  /** A worker agent over `primitive` (sent as `handle`). */
  static async worker(primitive: unknown, handle: Handle): Promise<Agent> {
    const worker = await takeWorker();
    const agent = new Agent(primitive, worker, worker.threadId + 1);
    worker.on("message", agent.onMessage);
    await agent.settled(agent.send({ op: "attach", item: handle }), "attach");
    return agent;
  }

  private settle(id: number, outcome: Outcome): void {
    const p = this.calls.get(id);
    if (p === undefined) return;
    this.calls.delete(id);
    p.outcome = outcome;
  }

  /** Makes a call; its Pending settles when the agent answers. */
  send(call: Omit<Call, "id">): Pending {
    const full: Call = { ...call, id: ++ids };
    const p = new Pending(full);
    this.calls.set(full.id, p);
    if (this.worker !== undefined) this.worker.postMessage(full);
    else if (full.op === "abort") this.controllers.get(full.target!)?.abort(new Error("aborted by the test"));
    else {
      let controller: AbortController | undefined;
      if (full.abortable) {
        controller = new AbortController();
        this.controllers.set(full.id, controller);
      }
      void perform(this.primitive, full, controller?.signal).then((outcome) => {
        this.controllers.delete(full.id);
        this.settle(full.id, outcome);
      });
    }
    if (full.op === "abort") this.calls.delete(full.id); // never answered
    return p;
  }

  /** Waits until `p` settles. */
  async settled(p: Pending, what: string): Promise<Outcome> {
    await until(
      () => p.outcome !== undefined,
      () => `${what} (${p.call.op} by owner ${this.owner})`,
    );
    return p.outcome!;
  }

  /** Terminates the worker and waits until its death is recorded (so that every thread can see it). */
  async kill(): Promise<void> {
    await this.worker!.terminate();
    await exits.get(this.worker!);
    await until(
      () => isDead(this.owner),
      () => `the death of owner ${this.owner} is recorded`,
    );
  }

  /**
   * The schedule is over: the worker is terminated (each schedule starts with fresh ones); the main
   * thread's calls still waiting are aborted, since a pending async wait keeps the process alive.
   */
  async done(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) {
      for (const controller of this.controllers.values()) controller.abort(new Error("the schedule is over"));
      return;
    }
    worker.off("message", this.onMessage);
    await worker.terminate();
  }
}

/** Read-only looks at a primitive's FIFO. */
export class Words {
  readonly capacity: number;
  constructor(readonly i32: Int32Array) {
    this.capacity = Atomics.load(i32, CAPACITY_WORD);
  }

  cell(k: number): number {
    return HEADER + k * CELL;
  }

  /** Whether `owner` has a queued cell (WAITING or SLEEPING): its call provably waits. */
  queued(owner: number): boolean {
    for (let k = 0; k < this.capacity; k++) {
      const cell = this.cell(k);
      const s = Atomics.load(this.i32, cell);
      if ((s === WAITING || s === SLEEPING) && Atomics.load(this.i32, cell + CELL_OWNER) === owner)
        return true;
    }
    return false;
  }

  /** The owners of the linked cells, head first (GUARD must be free: nothing half done). */
  fifo(): number[] {
    const owners: number[] = [];
    for (let cell = Atomics.load(this.i32, HEAD); cell !== NONE; ) {
      owners.push(Atomics.load(this.i32, cell + CELL_OWNER));
      assert.ok(owners.length <= this.capacity, "the FIFO's links make a cycle");
      cell = Atomics.load(this.i32, cell + CELL_NEXT);
    }
    return owners;
  }

  /** How many cells are GRANTED (given, not yet collected). */
  granted(): number {
    let n = 0;
    for (let k = 0; k < this.capacity; k++) if (Atomics.load(this.i32, this.cell(k)) === GRANTED) n++;
    return n;
  }

  /** GUARD's holder, if held (0: free). */
  guard(): number {
    return Atomics.load(this.i32, GUARD) >>> 1;
  }

  /**
   * The census of the cells at a quiescent point: every cell is free, linked (waiting), or granted to a
   * waiter that has not collected yet (`mayHoldGrant` says who may: the dead, a blocked agent). Returns the
   * linked cells' count.
   */
  census(mayHoldGrant: (owner: number) => boolean): number {
    let waiting = 0;
    for (let k = 0; k < this.capacity; k++) {
      const cell = this.cell(k);
      const s = Atomics.load(this.i32, cell);
      const owner = Atomics.load(this.i32, cell + CELL_OWNER);
      if (s === WAITING || s === SLEEPING) waiting++;
      else if (s === GRANTED)
        assert.ok(
          mayHoldGrant(owner),
          `cell ${k} is granted to owner ${owner}, who should have collected it`,
        );
      else assert.equal(s, 0, `cell ${k} is in no known state`);
    }
    return waiting;
  }
}

/** The seed of this run (`SEED=n` replays one) and its number of runs (`RUNS=n`), for fast-check. */
export function runParameters(runs: number): { seed: number; numRuns: number } {
  return {
    seed: Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31)),
    numRuns: Number(process.env.RUNS ?? runs),
  };
}
