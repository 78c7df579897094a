/** A process of ../queue-redis.ts, Luce's Producer.run: put a random integer, sleep (`n` times). Argv: queue, name, n. */
import { setTimeout as sleep } from "node:timers/promises";
import { Queue } from "threadkit/redis";
import { connect, finish } from "../redis/child.ts";

const [queueName, me, n] = process.argv.slice(2);
const client = await connect();
const queue = new Queue<number>(0, { name: queueName as string });
for (let i = 0; i < Number(n); i++) {
  const integer = Math.floor(Math.random() * 257);
  await queue.put(integer);
  console.log(`${integer} put to queue by ${me}`);
  await sleep(60); // Python: time.sleep(1)
}
await finish(client);
