/**
 * Who waits for what, in the browser build (package.json's "browser" field puts it in place of ./waits.ts
 * for bundlers that target browsers): that build has no deadlock detection (../internal/deadlock-off.ts),
 * so nothing is recorded and the detector is never loaded.
 */
import { MAIN, type Owner } from "./owner.ts";
import type * as On from "./waits.ts";

export type { Host, Q, Root, W } from "./waits.ts";

const none = (): undefined => undefined;

export const threadsAlive: typeof On.threadsAlive = none;
export const rootOf: typeof On.rootOf = (owner) => {
  let o: Owner = owner ?? MAIN;
  while (o.parent !== null) o = o.parent;
  return o;
};
/** No wait is recorded: no thread's is `w`. */
export const rootWaiting: typeof On.rootWaiting = none;
export const watched: typeof On.watched = none;
/** No deadlock is ever told, so no error of a Thread is one of a batch. */
export const reported: typeof On.reported = none;
