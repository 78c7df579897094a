/**
 * FetchUrls.run of Laurent Luce's tutorial, as a thread's body (../fetch-urls.ts starts two): fetch each URL
 * and write the page, part by part as it arrives, into the one file both threads share.
 */
import { writeSync } from "node:fs";
import { type Barrier, currentThread, type Lock } from "threadkit/threads";

/** How the write is guarded: not at all, with acquire() and release(), or with `using`. */
export type Form = "no lock" | "acquire/release" | "using";

export default async function fetchUrls(
  urls: string[],
  output: number,
  lock: Lock,
  form: Form,
  ready: Barrier,
): Promise<void> {
  const name = currentThread().name;
  // A worker takes a moment to start, a Python thread does not: both begin fetching together, as in Python.
  await ready.wait();
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
      using _held = await lock.hold(); // released at the end of this block, however it ends
      console.log(`lock acquired by ${name}`);
      await write(response, output);
      console.log(`write done by ${name}`);
      console.log(`lock released by ${name}`);
    }
    console.log(`URL ${url} fetched by ${name}`);
  }
}

/** Python's `output.write(d.read())`, a part at a time: each part goes to the file as it arrives. */
async function write(response: Response, output: number): Promise<void> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) writeSync(output, part.value);
}
