/**
 * A TypeScript target run by the built tier (for ../built-ts.test.ts): says whether the Lock it was given is an
 * instance of the class its own import of "threadkit/threads" names (one copy of the tier in the worker), and
 * what execArgv its worker got.
 */
import "./booted.ts";
import { currentThread, Lock } from "threadkit/threads";

interface Seen {
  name: string;
  sameTier: boolean;
  execArgv: string[];
}

export default function look(lock: Lock): Seen {
  const seen: Seen = {
    name: currentThread().name,
    sameTier: lock instanceof Lock,
    execArgv: process.execArgv,
  };
  console.log(JSON.stringify(seen));
  return seen;
}
