/**
 * How the Redis tier's contract agents receive primitives: by name. A primitive made through the tier is
 * described (kind, name, constructor arguments) and rebuilt under the same name in the agent's process,
 * where it is the same primitive. A Barrier's action does not travel (a function cannot).
 */
import * as tk from "../../src/redis/index.ts";

export interface Described {
  __tk: string;
  name: string;
  arg?: number;
  lock?: Described;
  lease?: number;
}

const described = new WeakMap<object, Described>();

export function describeAs<P extends object>(primitive: P, d: Described): P {
  described.set(primitive, d);
  return primitive;
}

export function wire(value: unknown): unknown {
  return typeof value === "object" && value !== null && described.has(value) ? described.get(value) : value;
}

export function isDescribed(value: unknown): value is Described {
  return typeof value === "object" && value !== null && typeof (value as Described).__tk === "string";
}

export function rebuild(d: Described): unknown {
  const o = { name: d.name, lease: d.lease };
  switch (d.__tk) {
    case "Lock":
      return describeAs(new tk.Lock(o), d);
    case "RLock":
      return describeAs(new tk.RLock(o), d);
    case "Condition":
      return describeAs(
        d.lock ? new tk.Condition(rebuild(d.lock) as tk.Lock, { name: d.name }) : new tk.Condition(o),
        d,
      );
    case "Semaphore":
      return describeAs(new tk.Semaphore(d.arg, o), d);
    case "BoundedSemaphore":
      return describeAs(new tk.BoundedSemaphore(d.arg, o), d);
    case "Event":
      return describeAs(new tk.Event(o), d);
    case "Barrier":
      return describeAs(new tk.Barrier(d.arg!, o), d);
    case "Queue":
      return describeAs(new tk.Queue(d.arg, o), d);
    case "LifoQueue":
      return describeAs(new tk.LifoQueue(d.arg, o), d);
    case "PriorityQueue":
      return describeAs(new tk.PriorityQueue(d.arg, o), d);
    case "SimpleQueue":
      return describeAs(new tk.SimpleQueue(o), d);
  }
  throw new Error(`cannot rebuild ${d.__tk}`);
}
