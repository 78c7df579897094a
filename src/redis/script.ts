/**
 * Running a script: EVALSHA, and EVAL when the server does not have it (NOSCRIPT: a restarted server, a
 * failover, SCRIPT FLUSH). A reply `{'!', code, message}` becomes the typed error of that code.
 *
 * Sent twice, a script must not act twice. On a client that never sends a command again (node-redis fails
 * what was in flight when a connection drops) nothing more is needed. On one that does (ioredis resends it
 * after the reconnect, `autoResendUnfulfilledCommands`), every operation that changes state carries a
 * request id, and the server answers a second run of that id with the first one's reply (EPILOGUE in
 * ./scripts/prelude.ts). The operations in IDEMPOTENT need no id: run twice, they leave what one run leaves.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  BrokenBarrierError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  RuntimeError,
  ThreadingError,
  ValueError,
} from "../api/errors.ts";
import type { Driver } from "./client.ts";
import { EPILOGUE, prelude } from "./scripts/prelude.ts";

/**
 * Operations that, run twice, leave what one run leaves: reads (which at most hand over or sweep what is
 * due, as any later script would), lease renewals, Event's set and clear, a Barrier actor standing in line.
 */
const IDEMPOTENT = new Set([
  "state",
  "isset",
  "locked",
  "owned",
  "size",
  "value",
  "renew",
  "set",
  "clear",
  "stand",
]);

const PROCESS = randomBytes(6).toString("hex");
let requests = 0;

export class Script {
  readonly source: string;
  readonly sha: string;
  /** `body`: the script's own Lua, run after the prelude (./scripts/prelude.ts). */
  constructor(body: string) {
    this.source = `${prelude(body)}local function body()\n${body}\nend\n${EPILOGUE}`;
    this.sha = createHash("sha1").update(this.source).digest("hex");
  }

  /** `args`: the idle TTL, waiter TTL, lease, operation, then the operation's own arguments. */
  async run(driver: Driver, keys: string[], args: string[]): Promise<unknown> {
    const rid = driver.resends && !IDEMPOTENT.has(args[3]!) ? `${PROCESS}.${++requests}` : "";
    // The reply's key shares the primitive's hash tag (one slot under Cluster); it is only written with an id.
    const tag = /^[^{]*\{[^}]*\}/.exec(keys[0]!)?.[0] ?? keys[0]!;
    const done = `${tag}:done:${rid}`;
    const tail = [String(keys.length + 1), ...keys, done, ...args.slice(4), ...args.slice(0, 4), rid];
    let reply: unknown;
    try {
      reply = await driver.send(done, ["EVALSHA", this.sha, ...tail]);
    } catch (error) {
      if (!String((error as Error)?.message ?? error).startsWith("NOSCRIPT")) throw error;
      reply = await driver.send(done, ["EVAL", this.source, ...tail]);
    }
    if (Array.isArray(reply) && reply[0] === "!") throw scriptError(String(reply[1]), String(reply[2]));
    return reply;
  }
}

function scriptError(code: string, message: string): Error {
  switch (code) {
    case "ERR_RUNTIME":
      return new RuntimeError(message);
    case "ERR_VALUE":
      return new ValueError(message);
    case "ERR_BROKEN_BARRIER":
      return new BrokenBarrierError(message);
    case "ERR_QUEUE_EMPTY":
      return new QueueEmpty(message);
    case "ERR_QUEUE_FULL":
      return new QueueFull(message);
    case "ERR_QUEUE_SHUT_DOWN":
      return new QueueShutDown(message);
    case "TypeError":
      return new TypeError(message);
    default:
      return new ThreadingError(`${code}: ${message}`);
  }
}

/** Whether an error is the script's own answer (a typed error), rather than the connection failing. */
export function isAnswer(error: unknown): boolean {
  return error instanceof ThreadingError || error instanceof TypeError;
}
