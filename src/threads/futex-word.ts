/**
 * The word mutex of the threads core: a mutex in one shared Int32 word, 0 free, else the holder's owner word
 * << 1 | SLEEPERS (Drepper's futex mutex, with the holder named). It is each primitive's GUARD (the lock of
 * its waiter FIFO: ./futex-fifo.ts) and a queue's put and get mutexes.
 *
 * It protects a few dozen instructions, so a taker spins first, then sleeps. `terminate()` can stop a thread
 * anywhere, also while it holds such a word: so a waiter sleeps in slices (the main thread, which cannot
 * sleep, spins) and, once the holder's death is recorded (./liveness.ts), takes the word over instead of
 * hanging for good. What the dead holder left half done is its user's to repair (GUARD: ./futex-recovery.ts).
 */
import { deaths, isDead, reap } from "./liveness.ts";
import { canBlock, ME } from "./runtime.ts";

/** Loads a thread spins before it sleeps: on a mutex word, and on a word it waits on (blocking). */
export const SPIN_SYNC = 2000;
/** A mutex word's low bit: someone sleeps on it. */
const SLEEPERS = 1;
/** How long a waiter on a mutex word sleeps before it looks whether the holder died (holds last microseconds). */
const MUTEX_SLICE = 50;

/**
 * How many times this thread really blocked in Atomics.wait on a waiter cell or a mutex word (a spin that
 * succeeded is not counted): read by the benchmarks to tell a spun hand-off from a slept one. Counted only
 * on the way to sleep, which costs microseconds anyway.
 */
export const sleeps = { count: 0 };

/** Takes the mutex word `i32[index]`: true if it took it over from a holder that died inside. */
export function lockWord(i32: Int32Array, index: number): boolean {
  return Atomics.compareExchange(i32, index, 0, ME << 1) !== 0 && lockWordContended(i32, index);
}

function lockWordContended(i32: Int32Array, index: number): boolean {
  const mine = ME << 1;
  for (let i = 0; i < SPIN_SYNC; i++) {
    if (Atomics.load(i32, index) === 0 && Atomics.compareExchange(i32, index, 0, mine) === 0) return false;
  }
  for (;;) {
    const s = Atomics.load(i32, index);
    if (s === 0) {
      // Taken as contended: others may be asleep on it, so our unlock must notify.
      if (Atomics.compareExchange(i32, index, 0, mine | SLEEPERS) === 0) return false;
      continue;
    }
    const held = s | SLEEPERS;
    if (s !== held && Atomics.compareExchange(i32, index, s, held) !== s) continue;
    if (canBlock) {
      sleeps.count++;
      Atomics.wait(i32, index, held, MUTEX_SLICE);
    }
    reap(); // the holder may be our own worker, whose "exit" our blocked event loop cannot see
    if (Atomics.load(i32, index) === held && deaths() !== 0 && isDead(held >>> 1)) {
      // Its holder died. What it wrote before dying is seen here: its death was recorded (an Atomics
      // store we read in isDead) only after its thread stopped, through the runtime's own synchronization.
      if (Atomics.compareExchange(i32, index, held, mine | SLEEPERS) === held) return true;
    }
  }
}

export function unlockWord(i32: Int32Array, index: number): void {
  if ((Atomics.exchange(i32, index, 0) & SLEEPERS) !== 0) Atomics.notify(i32, index, 1);
}
