/**
 * A Thread's stdout and stderr, written by the worker itself. Node pipes a worker's `process.stdout` through
 * its parent: each write is posted as a message and reaches the descriptor when the parent's event loop gets
 * to it (a worker's next write even waits in the worker until the parent has acknowledged the last). So a
 * worker's lines could come out after `join()` had returned, and lines two workers printed under one lock
 * came out in whatever order the parent read them, not in lock order.
 *
 * Here, where the parent's own stream writes synchronously to the process's descriptor (a file, a terminal,
 * or a pipe or socket made blocking below), a worker writes each chunk to that descriptor before its
 * `write()` returns: output then keeps the order the program's own synchronization gives it. A line printed
 * before a release, a `set()` or the end of the target is out before anyone who waited for those prints.
 *
 * Elsewhere, the worker keeps Node's path: a parent whose stream is not the plain descriptor (its `write`
 * replaced, say to capture output), one with writes still queued (they would come out after the worker's),
 * or a host without descriptors. A direct write that fails with anything but EAGAIN hands that chunk and all
 * later ones to Node's path, so nothing is lost.
 */

/** The parts of Node's stdio streams used here (`_type`, `_handle` and `_writev` are Node's own). */
interface StdioStream {
  fd?: unknown;
  _type?: unknown;
  _handle?: { setBlocking?: (blocking: boolean) => number } | null;
  writableLength?: number;
  _writev?: (chunks: Chunk[], cb: (error?: Error | null) => void) => void;
}

interface Chunk {
  chunk: string | Uint8Array;
  encoding: string;
}

interface ProcessLike {
  stdout?: StdioStream;
  stderr?: StdioStream;
  getBuiltinModule?: (id: string) => unknown;
}

type Fs = Pick<typeof import("node:fs"), "writeSync">;

/** The bits of a mask: which descriptors a worker writes itself. */
const STDOUT = 1;
const STDERR = 2;

const proc = (globalThis as { process?: ProcessLike }).process;

/** Descriptors this thread's parent let it write itself (a worker's; the main thread's stay 0). */
let own = 0;
/** Descriptors of the main thread made blocking (so that its writes never queue behind a worker's). */
let blocking = 0;

/**
 * In the parent, at `start()`: the descriptors the new worker may write itself. The main thread's streams
 * qualify when Node writes them synchronously (a file) or once made blocking (a terminal, which Node already
 * makes blocking on POSIX, a pipe, a socket); a worker's, when its own parent let it and it still writes them.
 */
export function directStdio(): number {
  if (proc === undefined) return 0;
  const { stdout, stderr } = proc;
  return (qualifies(stdout, 1, STDOUT) ? STDOUT : 0) | (qualifies(stderr, 2, STDERR) ? STDERR : 0);
}

function qualifies(stream: StdioStream | undefined, fd: number, bit: number): boolean {
  if (stream === undefined || Object.hasOwn(stream, "write")) return false; // replaced: its owner sees all
  if ((own & bit) !== 0) return true; // a worker writing this descriptor itself
  if (stream.fd !== fd || stream.writableLength !== 0) return false; // not the descriptor, or behind
  if (stream._type === "fs") return true; // Node's SyncWriteStream: writeSync each chunk
  if ((blocking & bit) !== 0) return true;
  if (stream._type !== "tty" && stream._type !== "pipe") return false;
  if (stream._handle?.setBlocking?.(true) !== 0) return false; // where libuv cannot (a Windows terminal)
  blocking |= bit;
  return true;
}

/**
 * In the worker, before its target runs: from now on its writes to the descriptors of `mask` go straight
 * to them. The stream stays Node's Writable (events, callbacks, backpressure); only where its chunks go changes.
 */
export function writeStdioDirect(mask: number): void {
  const fs = proc?.getBuiltinModule?.("node:fs") as Fs | undefined;
  if (proc === undefined || fs === undefined) return;
  if ((mask & STDOUT) !== 0 && redirect(proc.stdout, 1, fs)) own |= STDOUT;
  if ((mask & STDERR) !== 0 && redirect(proc.stderr, 2, fs)) own |= STDERR;
}

function redirect(stream: StdioStream | undefined, fd: number, fs: Fs): boolean {
  const piped = stream?._writev;
  if (stream === undefined || typeof piped !== "function") return false;
  let direct = true;
  stream._writev = function (this: StdioStream, chunks, cb) {
    for (let i = 0; direct && i < chunks.length; i++) {
      const { chunk, encoding } = chunks[i] as Chunk;
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding as BufferEncoding) : chunk;
      const written = writeAll(fs, fd, bytes);
      if (written < bytes.length) {
        direct = false;
        const rest = [{ chunk: bytes.subarray(written), encoding: "buffer" }, ...chunks.slice(i + 1)];
        piped.call(this, rest, cb);
        return;
      }
    }
    if (direct) cb();
    else piped.call(this, chunks, cb);
  };
  return true;
}

/** Made at first use: this module loads where there is no shared memory too. */
let pause: Int32Array | undefined;

/** Writes all of `bytes`, waiting out a full non-blocking pipe; the count written when another error stops it. */
function writeAll(fs: Fs, fd: number, bytes: Uint8Array): number {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(fd, bytes, done, bytes.length - done);
    } catch (error) {
      if ((error as { code?: unknown }).code !== "EAGAIN") return done;
      Atomics.wait((pause ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, 1); // someone made the descriptor non-blocking: its reader is behind
    }
  }
  return done;
}
