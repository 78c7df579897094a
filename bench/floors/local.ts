/**
 * The floor of the local tier: the least a promise-based mutex, semaphore, queue, event and barrier can do
 * on one event loop. No timeouts, no abort, no checks; FIFO with a head index (never Array#shift, which
 * turns quadratic past ~16k elements in V8). A library cannot be much faster than these, so they say how
 * much of threadkit's cost is the job itself.
 */

/** A FIFO of waiting resolvers with a head index, compacted when half consumed. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  shift(): T {
    const x = this.items[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}

const TRUE = Promise.resolve(true);

export class FloorMutex {
  private locked = false;
  private readonly waiters = new Fifo<(v: boolean) => void>();
  acquire(): Promise<boolean> {
    if (!this.locked) {
      this.locked = true;
      return TRUE;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    if (this.waiters.size > 0) this.waiters.shift()(true);
    else this.locked = false;
  }
}

export class FloorSemaphore {
  private readonly waiters = new Fifo<(v: boolean) => void>();
  constructor(private permits: number) {}
  acquire(): Promise<boolean> {
    if (this.permits > 0) {
      this.permits--;
      return TRUE;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    if (this.waiters.size > 0) this.waiters.shift()(true);
    else this.permits++;
  }
}

const DONE = Promise.resolve();

/** A bounded queue whose put/get always return a promise (the "await every call" floor). */
export class FloorQueue<T> {
  private readonly items = new Fifo<T>();
  private readonly getters = new Fifo<(v: T) => void>();
  private readonly putters = new Fifo<{ item: T; resolve: () => void }>();
  constructor(private readonly capacity: number) {}
  put(item: T): Promise<void> {
    if (this.getters.size > 0) {
      this.getters.shift()(item);
      return DONE;
    }
    if (this.items.size < this.capacity) {
      this.items.push(item);
      return DONE;
    }
    return new Promise((resolve) => this.putters.push({ item, resolve }));
  }
  get(): Promise<T> {
    if (this.items.size > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => this.getters.push(resolve));
  }
  /** The synchronous fast paths: false / undefined when the caller must await instead. */
  tryPut(item: T): boolean {
    if (this.getters.size > 0) {
      this.getters.shift()(item);
      return true;
    }
    if (this.items.size >= this.capacity) return false;
    this.items.push(item);
    return true;
  }
  get size(): number {
    return this.items.size;
  }
  take(): T {
    const item = this.items.shift();
    if (this.putters.size > 0) {
      const p = this.putters.shift();
      this.items.push(p.item);
      p.resolve();
    }
    return item;
  }
}

/** A flag tasks wait for: one promise per set/clear generation. */
export class FloorEvent {
  private flag = false;
  private resolve: (() => void) | null = null;
  private promise: Promise<void> | null = null;
  set(): void {
    this.flag = true;
    const r = this.resolve;
    this.resolve = this.promise = null;
    r?.();
  }
  clear(): void {
    this.flag = false;
  }
  wait(): Promise<void> {
    if (this.flag) return DONE;
    return (this.promise ??= new Promise<void>((r) => (this.resolve = r)));
  }
}

/** A cyclic barrier: the last arrival resolves the generation's promise. */
export class FloorBarrier {
  private count = 0;
  private resolve: (() => void) | null = null;
  private promise: Promise<void> | null = null;
  constructor(private readonly parties: number) {}
  wait(): Promise<void> {
    if (++this.count === this.parties) {
      this.count = 0;
      const r = this.resolve;
      this.resolve = this.promise = null;
      r?.();
      return DONE;
    }
    return (this.promise ??= new Promise<void>((r) => (this.resolve = r)));
  }
}
