/**
 * The recorder: collects what the probe reports, on this thread and on the worker threads that forward
 * theirs, with monotonic timestamps that every thread of the process shares (performance.timeOrigin +
 * performance.now(), in ms) and the name of the thread each event happened on.
 *
 * Workers forward over a process-wide BroadcastChannel: a worker that runs `forward()` (the `register`
 * module does, in every thread it is loaded in: `node --import threadkit/trace/register`) posts each event;
 * the thread that records takes them in, also synchronously when it stops, so that nothing posted by a
 * worker that has ended is missed.
 */
import { performance } from "node:perf_hooks";
import { BroadcastChannel, receiveMessageOnPort } from "node:worker_threads";
import type { CallMessage, PointMessage } from "../internal/channels.ts";
import { attach, type Sink } from "../internal/probe.ts";

/** One event of a recording. `t`: ms, on the clock every thread of the process shares. */
export type RecordedEvent =
  | {
      readonly t: number;
      readonly type: "call";
      readonly phase: "start" | "queued" | "end";
      readonly m: RecordedCall;
    }
  | { readonly t: number; readonly type: "point"; readonly m: PointMessage };

/** A call's message as recorded: its result and error only as text (they may not cross threads). */
export type RecordedCall = Omit<CallMessage, "result" | "error"> & { readonly error?: string };

/** What `stop()` returns: the events of every thread, in time order. */
export interface Recording {
  readonly version: 1;
  /** The process's clock at the first event, in ms since the epoch. */
  readonly start: number;
  readonly end: number;
  readonly events: readonly RecordedEvent[];
}

/** A running recording. */
export interface Recorder {
  /** Stops recording and returns what was recorded (taking in what workers posted until now). */
  stop(): Recording;
}

export const CHANNEL = "threadkit:trace";

const clock = (): number => performance.timeOrigin + performance.now();

function copyCall(m: CallMessage): RecordedCall {
  const { result: _result, error, ...rest } = m;
  return error === undefined
    ? { ...rest, thread: { ...m.thread } }
    : { ...rest, thread: { ...m.thread }, error: String(error) };
}

/** A sink that turns probe reports into recorded events and hands them to `keep`. */
function sink(keep: (e: RecordedEvent) => void): Sink {
  return {
    call(phase, m) {
      keep({ t: clock(), type: "call", phase, m: copyCall(m) });
    },
    point(m, at) {
      const t = at === undefined ? clock() : performance.timeOrigin + at;
      keep({ t, type: "point", m: { ...m, thread: { ...m.thread } } });
    },
  };
}

/**
 * Starts recording this thread's events and those that worker threads forward (see `forward`).
 * @example
 * ```ts
 * const recorder = record();
 * await main();
 * writeFileSync("timeline.html", render(recorder.stop()));
 * ```
 */
export function record(): Recorder {
  const events: RecordedEvent[] = [];
  const detach = attach(sink((e) => events.push(e)));
  const bc = new BroadcastChannel(CHANNEL);
  bc.onmessage = (e: unknown) => {
    events.push((e as { data: RecordedEvent }).data);
  };
  (bc as unknown as { unref?: () => void }).unref?.();
  let stopped: Recording | undefined;
  return {
    stop(): Recording {
      if (stopped !== undefined) return stopped;
      detach();
      for (
        let got = receiveMessageOnPort(bc as never);
        got !== undefined;
        got = receiveMessageOnPort(bc as never)
      ) {
        events.push(got.message as RecordedEvent);
      }
      bc.close();
      events.sort((a, b) => a.t - b.t);
      const start = events[0]?.t ?? clock();
      stopped = { version: 1, start, end: events.at(-1)?.t ?? start, events };
      return stopped;
    },
  };
}

/**
 * In a worker thread: posts every event of this thread to the thread that records. Returns its stop.
 */
export function forward(): () => void {
  const bc = new BroadcastChannel(CHANNEL);
  (bc as unknown as { unref?: () => void }).unref?.();
  const detach = attach(sink((e) => bc.postMessage(e)));
  return () => {
    detach();
    bc.close();
  };
}
