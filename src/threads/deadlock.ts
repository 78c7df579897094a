/**
 * Deadlock detection across threads: a cycle of Lock/RLock holders (each waits for what another holds),
 * seen from the waiters' slices (see ../internal/deadlock.ts for the switch and the report).
 *
 * Every parked waiter already wakes each SLICE ms (./futex.ts). A blocking waiter (`acquireSync`, and the
 * blocking forms that take a lock) for a Lock or RLock that has no timeout then publishes, in a process-wide board in shared memory, who holds what it waits
 * for (the owner word of the primitive's STATE) and the primitive's shared id, and follows the board: the
 * holder -> what the holder waits for -> its holder ... Back at itself is a cycle. Every thread in it sees
 * the same cycle; only the one with the highest thread id is told, and only once it has seen the cycle on
 * CONFIRM slices in a row with the same entries (a Lock may be released by any thread; an entry is up to
 * a slice old): its wait leaves the queue and fails with DeadlockError, naming the cycle. The others keep
 * waiting; what the told one's code lets go of (a `run()` or `hold()` does) lets them go on.
 *
 * Only blocking waits take part: a thread blocked in one can do nothing else, so it has one wait and what
 * it holds stays held. A thread that waits without blocking (`acquire()`) has an event loop that may still
 * release what it holds from another task, so its waits are neither published nor followed; nor is a
 * holder known to have died (its Lock goes to a waiter with OwnerDiedError).
 *
 * The board is one SharedArrayBuffer published with `setEnvironmentData`, as ./liveness.ts does: entry
 * `id % SLOTS` says what thread `id` waits for (its owner word first, so an entry that another thread
 * overwrote is never read for the wrong thread). Its cost: nothing until a waiter's slice ends (a wait
 * shorter than SLICE never looks), then a few loads and stores per slice.
 */
import { DeadlockError } from "../api/errors.ts";
import type { ResourceRef } from "../internal/channels.ts";
import { detection } from "../internal/deadlock.ts";
import { whoami } from "../internal/probe.ts";
import { report, type WaitLine } from "../internal/report.ts";
import { KIND, Kind, STATE, TRACE_ID, VALUE_MASK } from "./layout.ts";
import { isDead } from "./liveness.ts";
import { entries } from "./registry.ts";
import { ME, workerThreads } from "./runtime.ts";
import { resourceOfWords } from "./trace.ts";

const KEY = "threadkit/threads:waits:1";
const SLOTS = 1024;
/** Words of an entry: the waiter's owner word, the holder's, the primitive's TRACE_ID and KIND, a wait number. */
const ENTRY = 5;
const WHO = 0;
const HOLDER = 1;
const WHAT = 2;
const SEQ = 3;
const WHAT_KIND = 4;
/** Slices in a row that a waiter must see the same cycle before it is told. */
export const CONFIRM = 3;
/** Threads followed at most. */
const MAX_STEPS = 64;

function open(): Int32Array | undefined {
  if (typeof SharedArrayBuffer === "undefined") return undefined;
  const wt = workerThreads;
  if (wt?.getEnvironmentData === undefined) return undefined;
  const bytes = SLOTS * ENTRY * 4;
  let buffer = wt.getEnvironmentData(KEY);
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== bytes) {
    buffer = new SharedArrayBuffer(bytes);
    wt.setEnvironmentData(KEY, buffer);
  }
  return new Int32Array(buffer as SharedArrayBuffer);
}

// Opened at load, as the registry of ./liveness.ts, so that every Worker spawned later gets the same board.
const board = open();
let waits = 0;
const mine = ((ME - 1) % SLOTS) * ENTRY;

/** One waiter's view: the cycle it saw on its last slices, and how many slices in a row. */
export class Watch {
  private seen = "";
  private times = 0;
  private readonly seq = ++waits;
  constructor(private readonly i32: Int32Array) {}

  /**
   * A slice of a forever wait ended: publishes, follows, and returns the DeadlockError to fail with once
   * this waiter is the one to be told; undefined otherwise.
   */
  slice(): DeadlockError | undefined {
    const kind = this.i32[KIND];
    if (!detection.on || (kind !== Kind.Lock && kind !== Kind.RLock)) return undefined;
    const b = board;
    if (b === undefined) return undefined;
    const holder = Atomics.load(this.i32, STATE) & VALUE_MASK;
    const what = resourceOfWords(this.i32); // writes the shared id, once
    Atomics.store(b, mine + HOLDER, holder);
    Atomics.store(b, mine + WHAT, idWord(this.i32));
    Atomics.store(b, mine + SEQ, this.seq);
    Atomics.store(b, mine + WHAT_KIND, kind as number);
    Atomics.store(b, mine + WHO, ME);
    const cycle = follow(b, holder);
    const key = cycle?.map((s) => `${s.who}:${s.holder}:${s.what}:${s.seq}`).join(",") ?? "";
    this.times = key !== "" && key === this.seen ? this.times + 1 : key === "" ? 0 : 1;
    this.seen = key;
    // A Lock its own holder waits for: another thread may release it.
    if (cycle === undefined || cycle.length === 1 || this.times < CONFIRM) return undefined;
    if (cycle.some((s) => s.who > ME)) return undefined; // the highest thread id in it is told
    return new DeadlockError(message(cycle, what));
  }

  /** The wait ended: its entry goes. */
  done(): void {
    const b = board;
    if (b !== undefined && Atomics.load(b, mine + SEQ) === this.seq) Atomics.store(b, mine + WHO, 0);
  }
}

/** The shared id as its word (TRACE_ID, written by resourceOfWords). */
function idWord(i32: Int32Array): number {
  return Atomics.load(i32, TRACE_ID);
}

interface Step {
  who: number;
  holder: number;
  what: number;
  kind: number;
  seq: number;
}

/** The cycle from this thread through `holder`, by the board; undefined if the chain ends. */
function follow(b: Int32Array, holder: number): Step[] | undefined {
  const steps: Step[] = [read(b, ME)!];
  let h = holder;
  for (let n = 0; n < MAX_STEPS; n++) {
    if (h === 0) return undefined;
    if (h === ME) return steps;
    if (isDead(h)) return undefined;
    if (steps.some((s) => s.who === h)) return undefined; // a cycle that this thread is not part of
    const s = read(b, h);
    if (s === undefined) return undefined;
    steps.push(s);
    h = s.holder;
  }
  return undefined;
}

function read(b: Int32Array, who: number): Step | undefined {
  const at = ((who - 1) % SLOTS) * ENTRY;
  if (Atomics.load(b, at + WHO) !== who) return undefined;
  const step = {
    who,
    holder: Atomics.load(b, at + HOLDER),
    what: Atomics.load(b, at + WHAT),
    kind: Atomics.load(b, at + WHAT_KIND),
    seq: Atomics.load(b, at + SEQ),
  };
  return Atomics.load(b, at + WHO) === who ? step : undefined;
}

function nameOf(who: number): string {
  if (who === ME) return whoami().name;
  const id = who - 1;
  return entries().find((e) => e.ident === id)?.name ?? (id === 0 ? "main" : `worker ${id}`);
}

function message(cycle: Step[], mineIs: ResourceRef): string {
  const lines: WaitLine[] = cycle.map((s) => ({
    thread: nameOf(s.who),
    resource: s.who === ME ? mineIs : undefined,
    what:
      s.who === ME
        ? undefined
        : `${s.kind === Kind.RLock ? "rlock" : "lock"} T${s.what >>> 16}.${s.what & 0xffff}`,
    op: "to acquire",
    holder: nameOf(s.holder),
  }));
  return report(
    `deadlock: ${cycle.length} threads wait for each other in a cycle; "${lines[0]!.thread}" is told`,
    lines,
    lines,
  );
}
