/**
 * Producer and consumers with a Queue, taskDone() and join(), as in Python:
 *
 *   q = queue.Queue(maxsize=3)
 *   def worker():
 *       while True:
 *           item = q.get()
 *           process(item)
 *           q.task_done()
 *   ...
 *   q.join()
 *
 * Here the workers iterate the queue: `for await` calls taskDone() for them and ends at shutdown.
 */
import { currentThread, Queue, Thread } from "threadkit";

const q = new Queue<number>(3);
const done: string[] = [];

async function worker(): Promise<void> {
  for await (const item of q) {
    await new Promise((resolve) => setTimeout(resolve, 5)); // work on it
    done.push(`${currentThread().name} squared ${item} = ${item * item}`);
  }
}

const workers = [1, 2, 3].map((i) => new Thread({ target: worker, name: `worker-${i}` }));
for (const w of workers) w.start();

for (let item = 1; item <= 10; item++) await q.put(item); // waits while 3 items are queued
await q.join(); // every item has been handled
q.shutdown(); // the workers' loops end
for (const w of workers) await w.join();

console.log(done.join("\n"));
if (done.length !== 10) throw new Error(`expected 10 results, got ${done.length}`);
