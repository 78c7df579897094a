/**
 * Laurent Luce's first program: two threads fetch URLs and write the pages into one file. Run twice: without
 * a lock (the two threads' writes interleave and cut each other's pages), then with a Lock around the write,
 * taken by one thread with acquire() and release() and by the other with `using`. Real worker threads (threadkit/threads); the thread's
 * body is ./fetch-urls/fetch-urls.ts. The URLs are served by ./fetch-urls/server.ts on 127.0.0.1.
 */
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Barrier, Lock, Thread } from "threadkit/threads";
import type { Form } from "./fetch-urls/fetch-urls.ts";
import { inspect, startServer } from "./fetch-urls/server.ts";

const { base, close } = await startServer();
const dir = mkdtempSync(join(tmpdir(), "threadkit-fetch-urls-"));
const fetchUrls = new URL("./fetch-urls/fetch-urls.js", import.meta.url);

/** One run: two threads fetch two URLs each into one file; resolves how many pages came out cut. */
async function run(title: string, file: string, forms: [Form, Form]): Promise<number> {
  console.log(`--- ${title}`);
  const output = openSync(file, "w+");
  const lock = new Lock();
  const ready = new Barrier(2);
  const t1 = new Thread({
    target: fetchUrls,
    args: [[`${base}/google`, `${base}/facebook`], output, lock, forms[0], ready],
    name: "Thread-1",
  });
  const t2 = new Thread({
    target: fetchUrls,
    args: [[`${base}/yahoo`, `${base}/youtube`], output, lock, forms[1], ready],
    name: "Thread-2",
  });
  t1.start();
  t2.start();
  await t1.join();
  await t2.join();
  closeSync(output);

  const text = readFileSync(file, "utf8");
  const { whole, cut } = inspect(text);
  console.log(`${file}:\n${text.trimEnd().replace(/^/gm, "  ")}`);
  if (cut > 0) console.log(`${cut} of ${whole + cut} pages cut by the other thread's writes\n`);
  else console.log(`all ${whole} pages in one piece\n`);
  return cut;
}

await run("without a lock", join(dir, "output-no-lock.txt"), ["no lock", "no lock"]);
const cut = await run(
  "with a Lock: Thread-1 calls acquire() and release(), Thread-2 holds it with `using`",
  join(dir, "output-lock.txt"),
  ["acquire/release", "using"],
);
if (cut > 0) throw new Error("a page was cut although every write was under the lock");
await close();
