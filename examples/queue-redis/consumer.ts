/**
 * A process of ../queue-redis.ts, Luce's Consumer.run with a Queue: the explicit get() / taskDone() loop
 * ("get"), or `for await` ("for-await"). Argv: queue, name, which loop.
 */
import { Queue, QueueShutDown } from "threadkit/redis";
import { connect, finish } from "../redis/child.ts";

const [queueName, me, loop] = process.argv.slice(2);
const client = await connect();
const queue = new Queue<number>(0, { name: queueName as string });
if (loop === "get") {
  for (;;) {
    let integer: number;
    try {
      integer = await queue.get(); // waits until there is one
    } catch (error) {
      if (!(error instanceof QueueShutDown)) throw error;
      console.log(`get() raised QueueShutDown: ${me} stops`);
      break;
    }
    console.log(`${integer} popped from list by ${me}`);
    await queue.taskDone();
  }
} else {
  for await (const integer of queue) {
    console.log(`${integer} popped from list by ${me}`); // taskDone() for us
  }
  console.log(`the queue is shut down: ${me}'s for await ends`);
}
await finish(client);
