/**
 * A growable ring buffer (power-of-two capacity). Array.prototype.shift() turns O(n) past ~16k elements in V8,
 * so every FIFO of items uses this instead.
 */
export class Ring<T> {
  private buf: (T | undefined)[] = new Array(16);
  private head = 0;
  size = 0;

  push(item: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = item;
    this.size++;
  }

  /** Takes the oldest item. */
  take(): T {
    const item = this.buf[this.head] as T;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    return item;
  }

  clear(): void {
    this.buf = new Array(16);
    this.head = this.size = 0;
  }

  private grow(): void {
    const old = this.buf;
    const next: (T | undefined)[] = new Array(old.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}
