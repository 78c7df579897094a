/** Luce's Producer.run with a Queue: put a random integer, sleep (`n` times). */
import { setTimeout as sleep } from "node:timers/promises";
import { currentThread, type Queue } from "threadkit/threads";

export default async function producer(queue: Queue<number>, n: number): Promise<void> {
  const me = currentThread().name;
  for (let i = 0; i < n; i++) {
    const integer = Math.floor(Math.random() * 257);
    queue.putSync(integer);
    console.log(`${integer} put to queue by ${me}`);
    await sleep(60); // Python: time.sleep(1)
  }
}
