/**
 * Type tests of `threadkit` (the local tier): checked by `tsc --noEmit` (`npm run typecheck`), never run.
 * Each `@ts-expect-error` line is a call that must not compile; `expectTypeOf` pins what calls return.
 */
import { expectTypeOf } from "expect-type";
import {
  type api,
  Barrier,
  BoundedSemaphore,
  Condition,
  currentThread,
  Event,
  type Guard,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  QueueEmpty,
  RLock,
  Semaphore,
  SimpleQueue,
  Thread,
  type ThreadOptions,
  Timer,
  type WaitOptions,
} from "../../src/index.ts";

// Thread: args are checked against the target's parameters.
const target = (n: number, s: string) => `${n}${s}`;
new Thread({ target, args: [1, "a"] });
// @ts-expect-error args of the wrong types
new Thread({ target, args: ["oops", 42] });
// @ts-expect-error too few args
new Thread({ target, args: [1] });
// @ts-expect-error too many args
new Thread({ target, args: [1, "a", true] });
// @ts-expect-error args missing while the target has required parameters
new Thread({ target });
new Thread({ target: async (n?: number) => n, name: "optional" });
new Thread({ target: async () => {}, daemon: true });
// @ts-expect-error a target with no parameters takes no args
new Thread({ target: () => {}, args: [1] });
new Thread({ target: (...xs: number[]) => xs.length, args: [1, 2, 3] });
// @ts-expect-error rest parameters are checked too
new Thread({ target: (...xs: number[]) => xs.length, args: [1, "2"] });
new Thread();
// @ts-expect-error name is a string
new Thread({ name: 1 });
// @ts-expect-error a target is a function (the threads tier takes modules)
new Thread({ target: new URL("file:///x.js") });

// A Thread of any target is a Thread.
const typed = new Thread({ target, args: [1, "a"] });
expectTypeOf(typed).toExtend<Thread>();
expectTypeOf(typed).toExtend<api.Thread>();
const threads: Thread[] = [typed, new Thread({ target: (b: boolean) => b, args: [true] })];
expectTypeOf(threads[0]!.join()).toEqualTypeOf<Promise<boolean>>();
expectTypeOf(typed.start()).toBeVoid();
expectTypeOf(typed.error).toBeUnknown();
expectTypeOf(typed.ident).toEqualTypeOf<number | null>();
expectTypeOf(currentThread()).toEqualTypeOf<Thread>();
const options: ThreadOptions<[number]> = { target: (n: number) => n, args: [1] };
// @ts-expect-error ThreadOptions pins the args
const wrongOptions: ThreadOptions<[number]> = { target: (n: number) => n, args: ["1"] };

// Subclasses override run(), as in Python.
class Worker extends Thread {
  override async run() {
    return 1;
  }
}
new Worker().start();

// Timer: the same checks.
new Timer(10, target, [1, "a"]);
// @ts-expect-error args of the wrong types
new Timer(10, target, ["oops", 42]);
// @ts-expect-error args missing
new Timer(10, target);
new Timer(10, () => {});
new Timer(10, (n?: number) => n);
// @ts-expect-error the interval is milliseconds, a number
new Timer("10", () => {});
expectTypeOf(new Timer(10, target, [1, "a"])).toExtend<Thread>();
expectTypeOf(new Timer(10, () => {}).finished).toEqualTypeOf<Event>();

// Locks.
const lock = new Lock();
expectTypeOf(lock).toExtend<api.Lock>();
expectTypeOf(lock.acquire()).toEqualTypeOf<Promise<boolean>>();
expectTypeOf(lock.acquire({ timeout: 10, signal: AbortSignal.timeout(10), blocking: false })).toEqualTypeOf<
  Promise<boolean>
>();
// @ts-expect-error a timeout is a number of milliseconds
lock.acquire({ timeout: "10" });
// @ts-expect-error unknown options are typos
lock.acquire({ timout: 10 });
expectTypeOf(lock.tryAcquire()).toEqualTypeOf<boolean>();
expectTypeOf(lock.release()).toBeVoid();
expectTypeOf(lock.hold()).toEqualTypeOf<Promise<Guard>>();
expectTypeOf(lock.run(async () => 42)).toEqualTypeOf<Promise<number>>();
expectTypeOf(lock.run(() => "sync")).toEqualTypeOf<Promise<string>>();
expectTypeOf(new RLock()).toExtend<api.RLock>();
const opts: WaitOptions = {};
expectTypeOf(new RLock().run(async () => true, opts)).toEqualTypeOf<Promise<boolean>>();

// Condition.
const cond = new Condition(new RLock());
new Condition(lock);
new Condition();
// @ts-expect-error a Condition's lock is a Lock or an RLock
new Condition(new Semaphore());
expectTypeOf(cond).toExtend<api.Condition>();
expectTypeOf(cond.wait()).toEqualTypeOf<Promise<boolean>>();
expectTypeOf(cond.waitFor(() => 3 as number | undefined)).toEqualTypeOf<Promise<number | undefined>>();
expectTypeOf(cond.notify(2)).toBeVoid();

// Semaphores.
const sem = new BoundedSemaphore(2);
expectTypeOf(sem).toExtend<api.BoundedSemaphore>();
expectTypeOf(sem.value).toEqualTypeOf<number>();
sem.release(2);
// @ts-expect-error release takes a count
sem.release("2");

// Event and Barrier.
expectTypeOf(new Event().wait()).toEqualTypeOf<Promise<boolean>>();
expectTypeOf(new Event().isSet()).toEqualTypeOf<boolean>();
const barrier = new Barrier(3, { action: async () => {}, timeout: 100 });
expectTypeOf(barrier.wait()).toEqualTypeOf<Promise<number>>();
expectTypeOf(barrier).toExtend<api.Barrier>();
// @ts-expect-error parties is a number
new Barrier("3");

// Queues carry their item type.
const q = new Queue<number>(10);
expectTypeOf(q).toExtend<api.Queue<number>>();
expectTypeOf(q.get()).toEqualTypeOf<Promise<number>>();
expectTypeOf(q.getNowait()).toEqualTypeOf<number>();
// @ts-expect-error items are numbers
q.put("one");
// @ts-expect-error items are numbers
q.putNowait("one");
export async function drain() {
  for await (const item of q) expectTypeOf(item).toEqualTypeOf<number>();
}
expectTypeOf(new LifoQueue<string>().get()).toEqualTypeOf<Promise<string>>();
const pq = new PriorityQueue<[number, { job: string }]>(0, { compare: (a, b) => a[0] - b[0] });
expectTypeOf(pq.get()).toEqualTypeOf<Promise<[number, { job: string }]>>();
// @ts-expect-error compare takes two items
new PriorityQueue<number>(0, { compare: (a: string, b: string) => a.localeCompare(b) });
const sq = new SimpleQueue<Uint8Array>();
expectTypeOf(sq).toExtend<api.SimpleQueue<Uint8Array>>();
expectTypeOf(sq.get()).toEqualTypeOf<Promise<Uint8Array>>();
expectTypeOf(new QueueEmpty()).toExtend<Error>();

export { options, wrongOptions };
