/**
 * Monotonic time and timers that honour any timeout. setTimeout truncates delays above 2^31-1 ms to 1 ms;
 * `arm` re-arms in steps so that long timeouts are kept, against an absolute monotonic deadline.
 */

/** Monotonic ms: every runtime threadkit runs on (Node >= 20.16, Deno, Bun, browsers) has `performance`. */
export const now = (): number => performance.now();

const MAX_DELAY = 2 ** 31 - 1;

export interface Timed {
  deadline: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Arms `t.timer` to call `fire(t)` at `t.deadline` (or now, if it has passed). */
export function arm<T extends Timed>(t: T, fire: (t: T) => void): void {
  const delay = t.deadline - now();
  t.timer = delay > MAX_DELAY ? setTimeout(rearm, MAX_DELAY, t, fire) : setTimeout(fire, delay, t);
}

function rearm<T extends Timed>(t: T, fire: (t: T) => void): void {
  arm(t, fire);
}

export function disarm(t: Timed): void {
  if (t.timer !== undefined) {
    clearTimeout(t.timer);
    t.timer = undefined;
  }
}
