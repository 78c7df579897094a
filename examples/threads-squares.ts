/**
 * The same producer and consumers, on worker threads (threadkit/threads): the queues live in shared memory,
 * so a number put by the main thread is got by whichever worker asks first, and the workers run in parallel.
 *
 *   jobs, results = queue.Queue(4), queue.Queue()
 *   workers = [threading.Thread(target=square, args=(jobs, results)) for _ in range(2)]
 *   ...
 *   jobs.join()
 *
 * A worker runs a module's function (code cannot cross threads, a module URL can): see ./threads/square.ts.
 */
import { Queue, Thread } from "threadkit/threads";

const jobs = new Queue<number>(4);
const results = new Queue<string>();

const square = new URL("./threads/square.ts", import.meta.url);
const workers = [1, 2].map((i) => new Thread({ target: square, args: [jobs, results], name: `square-${i}` }));
for (const w of workers) w.start();

for (let n = 1; n <= 10; n++) await jobs.put(n); // waits while 4 numbers are queued
await jobs.join(); // every number has been squared
jobs.shutdown(); // the workers' loops end
for (const w of workers) await w.join();

const lines: string[] = [];
while (!results.empty()) lines.push(results.getNowait());
console.log(lines.sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10)).join("\n"));
if (lines.length !== 10) throw new Error(`expected 10 results, got ${lines.length}`);
