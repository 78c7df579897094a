/**
 * Owner recovery in the threads core: what a thread that died leaves behind is found and handed on.
 *
 * A worker can die at any instruction while it holds a Lock, an RLock or semaphore permits, or GUARD; no code
 * of its own runs then (robust mutexes' EOWNERDEAD). Deaths are recorded by the threads that observe them
 * (./liveness.ts: a process-wide registry in shared memory, marked by each worker's parent on "exit"), and
 * a primitive with `Orphans` looks for dead holders at three moments, all off the hot paths:
 * - a take that failed (`rescue`): a newcomer that finds the holder dead recovers it, and takes it itself
 *   when nobody waits (else the head waiter gets it and the newcomer queues as usual);
 * - a waiter's slice: a waiter cannot watch its cell and the registry at once, so every waiter (on any
 *   primitive: see `watch`) wakes each SLICE ms and, only if the deaths count moved since it last looked,
 *   checks, and takes GUARD over from a holder that died inside it (`repair`);
 * - a hand-off (the FIFO's `shift`): cells of waiters that died are freed, never granted.
 * Recovery happens under GUARD and re-reads the state, so it happens once; what the dead held is handed on
 * like a release would, as a grant of value -deadOwner (an ordinary grant is 1), and the waiter or caller
 * that receives it gets OwnerDiedError while it holds it. While nobody has died each of these costs one
 * load of the deaths count; uncontended acquire and release never look (a Lock stays one compareExchange
 * each way). Why not a lease or a heartbeat: a live holder must never be declared dead, however long it
 * holds, and only the observed exit of a thread proves it died.
 *
 * Cells: a cell granted to a waiter that died before it collected is taken back (`reclaim`,
 * `freeDeadGrants`), since only its waiter ever frees it.
 */
import type { Futex } from "./futex.ts";
import { UNLINKED } from "./futex-fifo.ts";
import {
  CELL,
  CELL_NEXT,
  CELL_OWNER,
  CELL_PREV,
  GRANTED,
  GUARD,
  HEAD,
  HEADER,
  NONE,
  QUEUED,
  SIZE,
  SLEEPING,
  STATE,
  TAIL,
  WAITING,
} from "./layout.ts";
import { deaths, isDead, reap } from "./liveness.ts";

/**
 * GUARD was taken over from a holder that died inside it: finishes or undoes what it left half done, so
 * that every live waiter is queued or granted again, never lost between the two (robust futexes'
 * `list_op_pending`, with the FIFO itself as the record). The dead holder can have stopped
 * - inside a link: the cell is reachable from HEAD but still FREE (WAITING is stored last): dropped; its
 *   waiter, whoever it was, never learned of it (a Condition's notify moving a waiter: see FINISH);
 * - inside an unlink, or between an unlink and its grant: the cell is WAITING or SLEEPING but no longer
 *   reachable. Its waiter, if its thread lives, is granted what the primitive's `Handing.resume` says (the
 *   hand-off was decided: a Lock's heir gets the lock), or put back at the head; a dead one's cell is freed;
 * - between a grant's exchange and its notify: every GRANTED cell is notified again (a spurious wake-up
 *   for the others, which look at their cell and sleep on).
 * HEAD, the cells' PREV, TAIL and SIZE are rebuilt from the NEXT chain, and QUEUED set from SIZE.
 */
export function repair(core: Futex): void {
  const i32 = core.i32;
  const capacity = core.capacity;
  core.handing?.rollback?.();
  const queued = new Uint8Array(capacity);
  let prev = NONE;
  let size = 0;
  for (let cell = i32[HEAD] as number, n = 0; cell !== NONE && n < capacity; n++) {
    const k = (cell - HEADER) / CELL;
    if (queued[k] === 1) break; // never a cycle; bounded anyway
    const next = i32[cell + CELL_NEXT] as number;
    const state = Atomics.load(i32, cell);
    if (state === WAITING || state === SLEEPING) {
      queued[k] = 1;
      i32[cell + CELL_PREV] = prev;
      if (prev === NONE) i32[HEAD] = cell;
      else i32[prev + CELL_NEXT] = cell;
      prev = cell;
      size++;
    }
    cell = next;
  }
  if (prev === NONE) i32[HEAD] = NONE;
  else i32[prev + CELL_NEXT] = NONE;
  i32[TAIL] = prev;
  i32[SIZE] = size;
  for (let k = 0; k < capacity; k++) {
    const cell = HEADER + k * CELL;
    const state = Atomics.load(i32, cell);
    if (state === GRANTED) Atomics.notify(i32, cell);
    if (queued[k] === 1 || (state !== WAITING && state !== SLEEPING)) continue;
    i32[cell + CELL_PREV] = UNLINKED;
    if (isDead(i32[cell + CELL_OWNER] as number)) {
      core.free(cell);
      continue;
    }
    const value = core.handing?.resume(cell) ?? 0;
    if (value !== 0) core.grant(cell, value);
    else core.pushFront(cell);
  }
  if ((i32[SIZE] as number) > 0) Atomics.or(i32, STATE, QUEUED);
  else Atomics.and(i32, STATE, ~QUEUED);
  core.handing?.redo?.();
}

/**
 * No cell is free (GUARD held): takes back a cell granted to a waiter whose thread died before it
 * collected the grant, or NONE. Only its waiter ever frees a granted cell, so without this every cell
 * could end up with the dead, and the next waiter would find none although the primitive is free. What
 * the grant handed over (a lock, a permit) stays recorded in the primitive for its owner-died recovery.
 */
export function reclaim(core: Futex): number {
  if (deaths() === 0) return NONE;
  const i32 = core.i32;
  for (let k = 0; k < core.capacity; k++) {
    const cell = HEADER + k * CELL;
    // A grant's exchange made the cell GRANTED after it wrote CELL_OWNER (under GUARD, which we hold).
    if (Atomics.load(i32, cell) === GRANTED && isDead(i32[cell + CELL_OWNER] as number)) return cell;
  }
  return NONE;
}

/**
 * Frees every cell granted to a waiter whose thread died before it collected the grant (GUARD held):
 * nobody else ever will, and a primitive whose waiters all need a cell at once (a Barrier's round of 64
 * parties or more) would run out of them. One load of the deaths count while nobody has died.
 */
export function freeDeadGrants(core: Futex): void {
  for (let cell = reclaim(core); cell !== NONE; cell = reclaim(core)) core.free(cell);
}

/**
 * After a failed take: recovers from a dead holder if one is recorded, taking for the caller when nobody
 * waits. `-deadOwner` if the caller now holds what the dead held, else 0. One load while nobody has died.
 */
export function rescue(core: Futex, owner: number, value: number): number {
  const orphans = core.orphans;
  if (orphans === undefined || deaths() === 0) return 0;
  const died = orphans.recover(true, owner, value);
  return died === 0 ? 0 : -died;
}

/**
 * A waiter's slice check: records the deaths of its own workers that its blocked event loop cannot see;
 * then, if deaths were recorded since it last looked (`seen`), takes GUARD over if its holder died inside
 * (`repair` then finishes what it left half done: maybe this waiter's own hand-off), and recovers from a
 * dead holder (the recovered lock or permit goes to the head waiter, maybe this one). Returns what it saw.
 * While nobody dies: one load of the deaths count (and none of the registry).
 */
export function watch(core: Futex, seen: number): number {
  reap();
  const d = deaths();
  if (d !== seen) {
    const guard = Atomics.load(core.i32, GUARD);
    if (guard !== 0 && isDead(guard >>> 1)) {
      core.lock();
      core.unlock();
    }
    core.orphans?.recover(false, 0, 0);
  }
  return d;
}
