/**
 * threadkit/redis: Python's threading primitives and queue module for processes on many machines, over a
 * Redis server (7.0 or later). Every primitive is named: the same name on any process is the same
 * primitive. Each state change is one Lua script run on the server; waiters wait in FIFO lines there and are
 * woken by it (./waker.ts); locks and permits have leases and fencing tokens (./lease.ts).
 *
 *   import { createClient } from "redis";
 *   import { Lock, setDefaultClient } from "threadkit/redis";
 *   const client = await createClient().connect();
 *   setDefaultClient(client);
 *   const lock = new Lock({ name: "orders" });
 *   await lock.run(async () => { ... lock.lease?.fence ... });
 *
 * @module threadkit/redis
 */
export * from "../api/errors.ts";
export type { BarrierOptions, PriorityQueueOptions, WaitOptions } from "../api/options.ts";
export { Barrier } from "./barrier.ts";
export type { Driver, RedisClient, Subscription } from "./client.ts";
export { Condition } from "./condition.ts";
export { configure, type Timing } from "./config.ts";
export { Event } from "./event.ts";
export type { Held } from "./guard.ts";
export { type Lease, LeaseLostError, LeaseLostEvent } from "./lease.ts";
export { Lock } from "./lock.ts";
export { type RedisOptions, setDefaultClient } from "./named.ts";
export { task } from "./owner.ts";
export { LifoQueue, PriorityQueue, Queue, SimpleQueue } from "./queue.ts";
export { RLock } from "./rlock.ts";
export { BoundedSemaphore, Semaphore } from "./semaphore.ts";
