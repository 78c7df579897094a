/**
 * threadkit/trace: what the primitives of both tiers did, seen from outside. Every call that may wait and
 * every release, notify, set and hand-off is published on node:diagnostics_channel (the names and the
 * messages: ../internal/channels.ts, and the README's "Tracing"); `record()` collects them from every
 * thread of a run and `render()` draws a recording as one self-contained HTML timeline. The command
 * `npx threadkit trace <script>` does both for a whole program.
 *
 * @module threadkit/trace
 */
import { nameResource } from "../internal/probe.ts";

export type {
  CallMessage,
  CallOp,
  HandoffMessage,
  Outcome,
  PointEvent,
  PointMessage,
  ResourceKind,
  ResourceRef,
  ThreadRef,
} from "../internal/channels.ts";
export { CALLS, POINTS } from "../internal/channels.ts";
export {
  forward,
  type RecordedCall,
  type RecordedEvent,
  type Recorder,
  type Recording,
  record,
} from "./recorder.ts";
export { type Arrow, layout, render, type Span, type Tick, type Timeline } from "./render.ts";

/**
 * Names a primitive of either tier in traced messages and timelines (from now on, on this thread).
 * @example
 * ```ts
 * traceName(accounts, "accounts lock");
 * ```
 */
export function traceName(primitive: object, name: string): void {
  const p = primitive as { _core?: { i32: Int32Array }; _gets?: { i32: Int32Array }; _queue?: object };
  const inner = (p._queue ?? p) as typeof p;
  nameResource(inner._core?.i32.buffer ?? inner._gets?.i32.buffer ?? primitive, name);
}
