/**
 * Threads fetch pages and append them to one report under a Lock, as the classic Python tutorial does:
 *
 *   lock = threading.Lock()
 *   def fetch(url):
 *       body = download(url)
 *       with lock:
 *           out.write(f"{url}: {len(body)}\n")
 *
 * The "download" is simulated (no network here), with random delays so the threads finish out of order.
 */
import { appendFile, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Lock, Thread } from "threadkit";

const lock = new Lock();
const dir = await mkdtemp(join(tmpdir(), "threadkit-"));
const report = join(dir, "report.txt");

async function download(url: string): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
  return `<html>${url}</html>`;
}

async function fetch(url: string): Promise<void> {
  const body = await download(url);
  await lock.run(async () => {
    // Two appends that must stay together: nobody else writes in between.
    await appendFile(report, `${url}: `);
    await appendFile(report, `${body.length} bytes\n`);
  });
}

const urls = ["https://a.example", "https://b.example", "https://c.example", "https://d.example"];
const threads = urls.map((url) => new Thread({ target: fetch, args: [url] }));
for (const t of threads) t.start();
for (const t of threads) await t.join();

const lines = (await readFile(report, "utf8")).trim().split("\n");
console.log(lines.join("\n"));
if (lines.length !== urls.length || !lines.every((l) => /^https:\/\/\w\.example: \d+ bytes$/.test(l))) {
  throw new Error("the report is garbled");
}
