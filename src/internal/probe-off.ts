/**
 * The probe of the browser build (package.json's "browser" field puts it in place of ./probe.ts for
 * bundlers that target browsers): a browser has no diagnostics_channel, and the recorder that would attach
 * a sink needs Node's worker_threads, so nothing is ever traced there. `probe.on` stays false, so no
 * traced path runs; the rest are the same exports, doing nothing, so the shells need no change.
 */
import type * as On from "./probe.ts";

export type { Holder, Sink } from "./probe.ts";

export const probe: typeof On.probe = { on: false, self: undefined };

const none = (): undefined => undefined;

export const attach: typeof On.attach = () => none;
export const nameThread: typeof On.nameThread = none;
export const taskResolver: typeof On.taskResolver = none;
export const osThreadId: typeof On.osThreadId = 0;
export const whoami: typeof On.whoami = () => ({ id: 0, name: "main" });
export const resourceOf: typeof On.resourceOf = (_key, kind) => ({ kind, id: "L0", name: undefined });
export const holdersOf: typeof On.holdersOf = none;
export const nameResource: typeof On.nameResource = none;
export const currentCall: typeof On.currentCall = none;
/** A call run as it is, untraced (never reached while `probe.on` is false). */
const untraced: typeof On.traceSync = (key, _r, _op, _t, method, a, b) =>
  (method as (this: object, a: unknown, b: unknown) => ReturnType<typeof method>).call(key, a, b);
export const traceAsync: typeof On.traceAsync = untraced;
export const traceSync: typeof On.traceSync = untraced;
export const queued: typeof On.queued = none;
export const leftEarly: typeof On.leftEarly = none;
export const point: typeof On.point = none;
export const handoff: typeof On.handoff = none;
export const timeoutOf: typeof On.timeoutOf = () => 0;
