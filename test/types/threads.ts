/**
 * Type tests of `threadkit/threads`: checked by `tsc --noEmit` (`npm run typecheck`), never run.
 * Each `@ts-expect-error` line is a call that must not compile; `expectTypeOf` pins what calls return.
 */
import { expectTypeOf } from "expect-type";
import {
  type api,
  Barrier,
  Condition,
  Event,
  fromHandle,
  type Handle,
  Lock,
  PriorityQueue,
  Queue,
  RLock,
  Semaphore,
  SimpleQueue,
  Thread,
  type ThreadOptions,
  Timer,
  toHandle,
} from "../../src/threads/index.ts";

// A thread's body is a module: a URL, a file URL string or a path; args cross to the worker.
const lock = new Lock();
new Thread({ target: new URL("./count.js", import.meta.url), args: [lock, 3] });
new Thread({ target: "./count.js", export: "count", name: "counter", daemon: true });
// @ts-expect-error functions do not cross threads: the target is a module
new Thread({ target: (n: number) => n, args: [1] });
// @ts-expect-error args is an array
new Thread({ target: "./count.js", args: 3 });
const options: ThreadOptions = { target: "./count.js" };
expectTypeOf(new Thread(options)).toExtend<api.Thread>();
expectTypeOf(new Thread().joinSync()).toEqualTypeOf<boolean>();
expectTypeOf(new Thread().join()).toEqualTypeOf<Promise<boolean>>();
new Timer(10, "./tick.js", [1], { name: "tick" });
// @ts-expect-error a Timer's body is a module too
new Timer(10, () => {});

// The blocking twins return what the async forms resolve to.
expectTypeOf(lock).toExtend<api.Lock>();
expectTypeOf(lock.acquireSync()).toEqualTypeOf<boolean>();
expectTypeOf(lock.acquire()).toEqualTypeOf<Promise<boolean>>();
expectTypeOf(new RLock().acquireSync({ timeout: 5 })).toEqualTypeOf<boolean>();
expectTypeOf(new Semaphore(2).acquireSync()).toEqualTypeOf<boolean>();
const cond = new Condition(lock);
expectTypeOf(cond.waitSync()).toEqualTypeOf<boolean>();
expectTypeOf(cond.waitForSync(() => "ready" as const)).toEqualTypeOf<"ready">();
expectTypeOf(new Event().waitSync()).toEqualTypeOf<boolean>();
expectTypeOf(new Barrier(2).waitSync()).toEqualTypeOf<number>();
// @ts-expect-error a timeout is a number of milliseconds
lock.acquireSync({ timeout: "5" });

// Queues carry their item type.
const q = new Queue<{ id: number }>(4);
expectTypeOf(q).toExtend<api.Queue<{ id: number }>>();
expectTypeOf(q.getSync()).toEqualTypeOf<{ id: number }>();
expectTypeOf(q.get()).toEqualTypeOf<Promise<{ id: number }>>();
// @ts-expect-error items are { id: number }
q.putSync({ id: "1" });
expectTypeOf(new SimpleQueue<string>().getSync()).toEqualTypeOf<string>();
expectTypeOf(new PriorityQueue<number>().getSync()).toEqualTypeOf<number>();

// Handles are typed by kind, and come back as the same kind.
const handle = toHandle(lock);
expectTypeOf(handle).toEqualTypeOf<Handle<"Lock">>();
expectTypeOf(fromHandle(handle)).toEqualTypeOf<Lock>();
expectTypeOf(toHandle(new RLock())).toEqualTypeOf<Handle<"RLock">>();
expectTypeOf(fromHandle(toHandle(cond))).toEqualTypeOf<Condition>();
// @ts-expect-error only this tier's primitives have handles
toHandle({ lock });
