/**
 * Deadlock detection across threads, seen from the waiters' slices (see ../internal/deadlock.ts for the
 * switch and the report).
 *
 * Every parked waiter already wakes each SLICE ms (./futex-park.ts). A blocking wait (`...Sync`) with no timeout
 * then publishes, in a process-wide board in shared memory, what it waits for: the primitive's shared id
 * and kind, its holder for a Lock or RLock (the owner word of its STATE), a number for the wait, and a beat
 * that it bumps on each slice (it looked again and still waits). Two rules read the board:
 *
 * - A cycle of holders: a waiter for a Lock or RLock follows the holder -> what the holder waits for -> its
 *   holder ... Back at itself is a cycle. Every thread in it sees the same cycle; only the one with the
 *   highest thread id is told, once it has seen the cycle on CONFIRM slices in a row with the same entries
 *   (a Lock may be released by any thread; an entry is up to a slice old). This holds while other threads
 *   run: none of them can release what a blocked holder holds.
 * - Every live thread stuck: the live threads are the main thread, every Thread still running (./registry.ts,
 *   written by its parent before its worker starts) and every worker that ./liveness.ts knows alive; ended
 *   and dead ones are not counted. When each of them has an entry, the entries (and the deaths count) stay
 *   the same over CONFIRM slices of a waiter, and each other's beat has moved since the first of those, each
 *   was blocked in the same wait all along, so no thread was left to wake any: the highest thread id among
 *   the waits that can be told (not a daemon Thread's) is told, with every thread's wait. Not while a cycle
 *   of holders stands among them: that one is told as a cycle.
 *
 * The told wait leaves its queue and fails with DeadlockError; the others keep waiting, and what the told
 * one's code lets go of (a `run()` or `hold()` does, a worker that dies of it does) lets them go on.
 *
 * Not detected here: a thread that waits without blocking (`await`) has an event loop that may still act
 * (release what it holds from another task, set an Event from a timer), so its waits are neither published
 * nor followed, and while one such thread lives nobody is "every live thread stuck"; a main thread whose
 * script has ended while its workers are stuck (its event loop stays up for them); a wait with a timeout.
 * Published but never told: a wait on a word (a Condition's waiter beyond its cells, a Barrier party waiting
 * for its round's action), which has no FIFO cell to leave. A Worker started without Thread is counted once
 * it has loaded threadkit or its parent's event loop has seen it start: before that it is not known.
 *
 * The board is one SharedArrayBuffer published with `setEnvironmentData`, as ./liveness.ts does: entry
 * `id % SLOTS` says what thread `id` waits for (its owner word first, so an entry that another thread
 * overwrote is never read for the wrong thread). Its cost: nothing until a waiter's slice ends (a wait
 * shorter than SLICE never looks), then a few loads and stores per slice, and a read of the registries
 * (a few thousand loads) while every thread it knows of has an entry.
 */
import { DeadlockError } from "../api/errors.ts";
import type { ResourceRef } from "../internal/channels.ts";
import { detection } from "../internal/deadlock.ts";
import { whoami } from "../internal/probe.ts";
import { report, type WaitLine } from "../internal/report.ts";
import { KIND, Kind, STATE, TRACE_ID, VALUE_MASK } from "./layout.ts";
import { deaths, isDead, liveOwners } from "./liveness.ts";
import { entries } from "./registry.ts";
import { ME, workerThreads } from "./runtime.ts";
import { KINDS, resourceOfWords } from "./trace.ts";

const KEY = "threadkit/threads:waits:2";
const SLOTS = 1024;
/**
 * Words of an entry: the waiter's owner word, the holder's, the primitive's TRACE_ID and KIND, a wait
 * number, a beat (counts the waiter's slices: it looked again and still waits) and whether it may be told.
 */
const ENTRY = 7;
const WHO = 0;
const HOLDER = 1;
const WHAT = 2;
const SEQ = 3;
const WHAT_KIND = 4;
const BEAT = 5;
const TELLABLE = 6;
/** Slices in a row that a waiter must see the same cycle, or everyone stuck, before it is told. */
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

/** One waiter's view: what it saw on its last slices, and how many slices in a row. */
export class Watch {
  private seen = "";
  private times = 0;
  /** Everyone stuck: the entries seen, since when (slices), and each one's beat then. */
  private stuckSeen = "";
  private stuckTimes = 0;
  private beats: Step[] = [];
  private readonly seq = ++waits;

  /** `tellable`: whether this wait can fail with DeadlockError (a wait on a word cannot: see ./futex-park.ts). */
  constructor(
    private readonly i32: Int32Array,
    private readonly tellable = true,
  ) {}

  /**
   * A slice of a forever wait ended: publishes, follows, and returns the DeadlockError to fail with once
   * this waiter is the one to be told; undefined otherwise.
   */
  slice(): DeadlockError | undefined {
    const b = board;
    if (!detection.on || b === undefined) return undefined;
    const kind = this.i32[KIND] as number;
    const owned = kind === Kind.Lock || kind === Kind.RLock;
    const holder = owned ? Atomics.load(this.i32, STATE) & VALUE_MASK : 0;
    const what = resourceOfWords(this.i32); // writes the shared id, once
    Atomics.store(b, mine + HOLDER, holder);
    Atomics.store(b, mine + WHAT, idWord(this.i32));
    Atomics.store(b, mine + SEQ, this.seq);
    Atomics.store(b, mine + WHAT_KIND, kind);
    Atomics.store(b, mine + TELLABLE, this.tellable ? 1 : 0);
    Atomics.add(b, mine + BEAT, 1);
    Atomics.store(b, mine + WHO, ME);
    const cycle = owned ? follow(b, ME) : undefined;
    const key = cycle?.map((s) => `${s.who}:${s.holder}:${s.what}:${s.seq}`).join(",") ?? "";
    this.times = key !== "" && key === this.seen ? this.times + 1 : key === "" ? 0 : 1;
    this.seen = key;
    if (cycle !== undefined && cycle.length > 1) {
      if (this.times < CONFIRM || !this.tellable) return undefined;
      if (cycle.some((s) => s.who > ME)) return undefined; // the highest thread id in it is told
      return new DeadlockError(cycleMessage(cycle, what));
    }
    return this.stuck(b, what);
  }

  /**
   * Whether every live thread of the process waits forever, with the same entries over CONFIRM slices of
   * this one and each other having looked again since: then none can be woken, and the highest thread id
   * among those that can be told (not a daemon's) is. Not while a cycle of holders stands: that is told
   * as a cycle.
   */
  private stuck(b: Int32Array, what: ResourceRef): DeadlockError | undefined {
    // The main thread is always live: while it does not wait forever, nobody reads the registries.
    if (read(b, 1) === undefined) {
      this.stuckSeen = "";
      return undefined;
    }
    const owners = liveOwners();
    // And every Thread still running: its parent lists it before its worker starts, while liveness may
    // not know it yet (a worker booting, whose parent blocks before its event loop hears of it).
    const threads = entries();
    const live = owners === undefined ? [] : [...new Set([...owners, ...threads.map((e) => e.ident + 1)])];
    const steps: Step[] = [];
    for (const who of live.sort((x, y) => x - y)) {
      const s = read(b, who);
      if (s === undefined) break;
      steps.push(s);
    }
    if (owners === undefined || steps.length !== live.length) {
      this.stuckSeen = "";
      return undefined;
    }
    const key = `${deaths()}|${steps.map((s) => `${s.who}:${s.holder}:${s.what}:${s.seq}`).join(",")}`;
    if (key !== this.stuckSeen) {
      this.stuckSeen = key;
      this.stuckTimes = 1;
      this.beats = steps;
      return undefined;
    }
    if (++this.stuckTimes < CONFIRM || !this.tellable) return undefined;
    // Each has looked again since (its beat moved) and still waits: the same wait all along.
    if (steps.some((s, i) => s.who !== ME && s.beat === this.beats[i]!.beat)) return undefined;
    const daemons = new Set(threads.flatMap((e) => (e.daemon ? [e.ident + 1] : [])));
    let told = 0;
    for (const s of steps) {
      if (s.tellable && !daemons.has(s.who) && s.who > told) told = s.who;
      if (s.holder !== 0 && (follow(b, s.who)?.length ?? 0) > 1) return undefined;
    }
    if (told !== ME) return undefined;
    return new DeadlockError(stuckMessage(steps, what, daemons));
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
  beat: number;
  tellable: boolean;
}

/** The cycle of holders from thread `from` (its entry first), by the board; undefined if the chain ends. */
function follow(b: Int32Array, from: number): Step[] | undefined {
  const first = read(b, from);
  if (first === undefined) return undefined;
  const steps: Step[] = [first];
  let h = first.holder;
  for (let n = 0; n < MAX_STEPS; n++) {
    if (h === 0) return undefined;
    if (h === from) return steps;
    if (isDead(h)) return undefined;
    if (steps.some((s) => s.who === h)) return undefined; // a cycle that `from` is not part of
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
    beat: Atomics.load(b, at + BEAT),
    tellable: Atomics.load(b, at + TELLABLE) === 1,
  };
  return Atomics.load(b, at + WHO) === who ? step : undefined;
}

function nameOf(who: number): string {
  if (who === ME) return whoami().name;
  const id = who - 1;
  return entries().find((e) => e.ident === id)?.name ?? (id === 0 ? "main" : `worker ${id}`);
}

/** How a wait on a primitive of `kind` reads: "to acquire", "for a notify of"... */
function opOf(kind: number): string {
  const name = KINDS[kind];
  if (name === "lock" || name === "rlock" || name === "semaphore") return "to acquire";
  if (name === "condition") return "for a notify of";
  if (name === "event") return "for";
  if (name === "barrier") return "at";
  return "on";
}

function lineOf(s: Step, mineIs: ResourceRef, daemon = false): WaitLine {
  return {
    thread: nameOf(s.who),
    daemon,
    resource: s.who === ME ? mineIs : undefined,
    what: s.who === ME ? undefined : `${KINDS[s.kind] ?? "lock"} T${s.what >>> 16}.${s.what & 0xffff}`,
    op: opOf(s.kind),
    holder: s.holder === 0 ? undefined : nameOf(s.holder),
  };
}

function cycleMessage(cycle: Step[], mineIs: ResourceRef): string {
  const lines = cycle.map((s) => lineOf(s, mineIs));
  return report(
    `deadlock: ${cycle.length} threads wait for each other in a cycle; "${lines[0]!.thread}" is told`,
    lines,
    lines,
  );
}

function stuckMessage(steps: Step[], mineIs: ResourceRef, daemons: Set<number>): string {
  const lines = steps.map((s) => lineOf(s, mineIs, daemons.has(s.who)));
  const n = steps.length;
  return report(
    `deadlock: ${n === 1 ? "the only thread left waits" : `all ${n} threads left wait`} on threadkit primitives with no timeout, and none can wake ${n === 1 ? "itself" : "another"}; "${nameOf(ME)}" is told`,
    lines,
  );
}
