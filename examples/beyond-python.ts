/**
 * What Python's threading lacks, on the fetch-urls program (one event loop, threadkit): every wait takes a
 * timeout and an AbortSignal, and a held lock is a `using` resource.
 * - Two tasks take URLs from a Queue and write each page into one file under a Lock held with `using`; one
 *   page fails half-written, and the lock is released all the same.
 * - A slow page gets no more than 1 s (fetch takes an AbortSignal too: AbortSignal.timeout).
 * - A task that cannot have the lock within 50 ms to log a line skips the line instead of waiting.
 * - When the work is done, one AbortController ends the tasks' waits for more URLs: their get() rejects
 *   with its reason, and nothing is taken from the queue by a wait that was given up.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { currentThread, Lock, Queue, Thread } from "threadkit";
import { inspect, startServer } from "./fetch-urls/server.ts";

const { base, close } = await startServer();
const file = join(mkdtempSync(join(tmpdir(), "threadkit-beyond-python-")), "output.txt");
const output = openSync(file, "w+");
const urls = new Queue<string>(2);
const fileLock = new Lock();
const logLock = new Lock();
const closing = new AbortController();

async function fetchUrls(): Promise<void> {
  const me = currentThread().name;
  for (;;) {
    let url: string;
    try {
      url = await urls.get({ signal: closing.signal });
    } catch (error) {
      if (error !== closing.signal.reason) throw error;
      console.log(`${me} stops waiting for URLs: ${closing.signal.reason.message}`);
      return;
    }
    try {
      // The whole page within 1 s, or an AbortError: the deadline covers the request and the body.
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      const page = new Uint8Array(await response.arrayBuffer());
      using _held = await fileLock.hold({ timeout: 2_000 }); // TimeoutError rather than waiting forever
      console.log(`lock acquired by ${me}`);
      write(page, url);
      console.log(`URL ${url} fetched by ${me}`);
    } catch (error) {
      console.log(`URL ${url} given up by ${me}: ${(error as Error).message}`);
    } finally {
      urls.taskDone();
    }
    await log(`${me} is done with ${url}`);
  }
}

/** Writes the page in its four parts; the page named "broken" fails after its first part. */
function write(page: Uint8Array, url: string): void {
  const parts = new TextDecoder().decode(page).match(/\[[^\]]*\]\n?/g) ?? [];
  for (const part of parts) {
    writeSync(output, part);
    if (url.endsWith("/broken")) throw new Error("the disk is full (pretend)");
  }
}

/** A line for the log, if the log's lock can be had within 50 ms; else the line is skipped, and said so. */
async function log(line: string): Promise<void> {
  if (!(await logLock.acquire({ timeout: 50 }))) {
    console.log(`(${currentThread().name} skipped a log line: the log was busy for 50 ms)`);
    return;
  }
  try {
    await sleep(80); // a slow log
    console.log(line);
  } finally {
    logLock.release();
  }
}

const threads = [1, 2].map((i) => new Thread({ target: fetchUrls, name: `Thread-${i}` }));
for (const t of threads) t.start();
for (const page of ["google", "slow", "broken", "yahoo"]) await urls.put(`${base}/${page}`);
const done = await urls.join({ timeout: 5_000 });
console.log(`every URL handled: ${done}`);
closing.abort(new Error("closing time"));
for (const t of threads) await t.join();
closeSync(output);
await close();

const { whole, cut } = inspect(readFileSync(file, "utf8"));
console.log(
  `${file}: ${whole} whole pages, ${cut} cut short; the file's lock is free: ${!fileLock.locked()}`,
);
if (threads.some((t) => t.error !== undefined) || fileLock.locked()) process.exit(1);
