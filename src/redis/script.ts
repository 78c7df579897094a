/**
 * Running a script: EVALSHA, and EVAL when the server does not have it (NOSCRIPT: a restarted server, a
 * failover, SCRIPT FLUSH). A reply `{'!', code, message}` becomes the typed error of that code.
 */
import { createHash } from "node:crypto";
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

export class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(driver: Driver, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    let reply: unknown;
    try {
      reply = await driver.send(keys[0]!, ["EVALSHA", this.sha, ...tail]);
    } catch (error) {
      if (!String((error as Error)?.message ?? error).startsWith("NOSCRIPT")) throw error;
      reply = await driver.send(keys[0]!, ["EVAL", this.source, ...tail]);
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
