/**
 * The Web Worker host: what ./runtime.ts offers in place of node:worker_threads where there is none (a
 * browser), in the shape ./thread.ts uses (Worker, MessageChannel, receiveMessageOnPort, workerData,
 * threadId, isMainThread).
 *
 * A Thread's worker is a module worker on ./web-entry.ts (beside the worker entry), which waits for one boot
 * message ({ workerData, threadId, ids }) before it loads the tier, so workerData and the thread id are
 * there when the tier starts, as on Node.
 *
 * Thread ids: browsers number no workers, so the main thread is 0 and the threads threadkit starts count up
 * in one shared word (`ids`, handed down to every worker). A worker started by other code has no number
 * from it: it takes a random one at or above 2^20, which no counted thread reaches in practice, so two
 * threads sharing a primitive have different owner words (a clash of two random ones is one in ~10^9).
 * A web worker never ends by itself: a Thread's closes once its target has settled (./web-entry.ts).
 */
import { sharedBuffer } from "./runtime.ts";

/** What ./web-entry.ts leaves on globalThis for the tier to find. */
export const BOOT = Symbol.for("threadkit/threads:boot");

export interface Boot {
  workerData: unknown;
  threadId: number;
  ids: Int32Array;
}

type Listener = (value: unknown) => void;

interface WebWorker {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: "message" | "error", fn: (event: MessageEvent & ErrorEvent) => void): void;
}

const g = globalThis as unknown as {
  Worker?: new (url: URL | string, options: { type: "module"; name?: string }) => WebWorker;
  MessageChannel?: typeof MessageChannel;
  WorkerGlobalScope?: unknown;
  [BOOT]?: Boot;
};

const boot = g[BOOT];
let ids: Int32Array | undefined = boot?.ids;

/** The port a Thread keeps: Node's `on`/`unref`/`close`, and the messages delivered and not yet taken. */
class Port {
  readonly delivered: unknown[] = [];
  private listeners: Listener[] = [];
  constructor(readonly port: MessagePort) {
    port.onmessage = (event) => {
      this.delivered.push(event.data);
      const listeners = this.listeners;
      if (listeners.length > 0) for (const m of this.delivered.splice(0)) for (const fn of listeners) fn(m);
    };
  }
  on(_event: "message", fn: Listener): void {
    this.listeners.push(fn);
  }
  unref(): void {}
  close(): void {
    this.port.close();
  }
}

/** A Thread's worker as Node's Worker shows it: `threadId`, "error" and "exit" events, `unref()`. */
class ThreadWorker {
  readonly threadId: number;
  private listeners: Record<string, Listener[]> = {};
  constructor(entry: URL | string, options: { workerData?: unknown; transferList?: Transferable[] }) {
    if (g.Worker === undefined) throw new Error("this runtime has no worker threads");
    ids ??= new Int32Array(sharedBuffer(4));
    this.threadId = Atomics.add(ids, 0, 1) + 1;
    const worker = new g.Worker(new URL("./web-entry.js", entry), { type: "module" });
    let started = false;
    worker.addEventListener("message", (event) => {
      if ((event.data as { threadkit?: string } | null)?.threadkit === "started") started = true;
    });
    worker.addEventListener("error", (event) => {
      event.preventDefault?.();
      this.emit("error", event.error ?? new Error(event.message || "the worker failed to start"));
      if (!started) this.emit("exit", 1); // it never ran: nothing else will end the thread
    });
    const message: Boot = { workerData: options.workerData, threadId: this.threadId, ids };
    worker.postMessage(message, options.transferList ?? []);
  }
  on(event: string, fn: Listener): this {
    (this.listeners[event] ??= []).push(fn);
    return this;
  }
  unref(): void {}
  private emit(event: string, value: unknown): void {
    for (const fn of this.listeners[event] ?? []) fn(value);
  }
}

/** The host, or undefined where there are no Web Workers either. */
export function webHost(): object | undefined {
  if (g.MessageChannel === undefined) return undefined;
  const inWorker = g.WorkerGlobalScope !== undefined;
  return {
    isMainThread: !inWorker,
    threadId: boot?.threadId ?? (inWorker ? 2 ** 20 + Math.floor(Math.random() * (2 ** 30 - 2 ** 21)) : 0),
    workerData: boot?.workerData,
    Worker: ThreadWorker,
    MessageChannel: class {
      readonly port1: Port;
      readonly port2: MessagePort;
      constructor() {
        const channel = new g.MessageChannel!();
        this.port1 = new Port(channel.port1);
        this.port2 = channel.port2;
      }
    },
    /** Only what has been delivered: a browser cannot take a message off a port synchronously. */
    receiveMessageOnPort(port: Port): { message: unknown } | undefined {
      return port.delivered.length > 0 ? { message: port.delivered.shift() } : undefined;
    },
  };
}
