/**
 * ./fetch-urls.ts on one event loop (threadkit): the two "threads" are async tasks, and their writes still
 * interleave, since each waits for the next part of its page between two writes. The Lock fixes it the same
 * way: taken with acquire() and release() by one task, held with `using` by the other.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currentThread, Lock, Thread } from "threadkit";
import { inspect, startServer } from "./fetch-urls/server.ts";

type Form = "no lock" | "acquire/release" | "using";

async function fetchUrls(urls: string[], output: number, lock: Lock, form: Form): Promise<void> {
  const name = currentThread().name;
  while (urls.length > 0) {
    const url = urls.pop() as string;
    const response = await fetch(url);
    if (form === "no lock") {
      await write(response, output);
      console.log(`write done by ${name}`);
    } else if (form === "acquire/release") {
      await lock.acquire();
      try {
        console.log(`lock acquired by ${name}`);
        await write(response, output);
        console.log(`write done by ${name}`);
        console.log(`lock released by ${name}`);
      } finally {
        lock.release();
      }
    } else {
      using _held = await lock.hold();
      console.log(`lock acquired by ${name}`);
      await write(response, output);
      console.log(`write done by ${name}`);
      console.log(`lock released by ${name}`);
    }
    console.log(`URL ${url} fetched by ${name}`);
  }
}

async function write(response: Response, output: number): Promise<void> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) writeSync(output, part.value);
}

const { base, close } = await startServer();
const dir = mkdtempSync(join(tmpdir(), "threadkit-fetch-urls-local-"));

async function run(title: string, file: string, forms: [Form, Form]): Promise<number> {
  console.log(`--- ${title}`);
  const output = openSync(file, "w+");
  const lock = new Lock();
  const t1 = new Thread({
    target: fetchUrls,
    args: [[`${base}/google`, `${base}/facebook`], output, lock, forms[0]],
    name: "Thread-1",
  });
  const t2 = new Thread({
    target: fetchUrls,
    args: [[`${base}/yahoo`, `${base}/youtube`], output, lock, forms[1]],
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
  if (cut > 0) console.log(`${cut} of ${whole + cut} pages cut by the other task's writes\n`);
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
