/** Luce's Consumer.run with a Queue, twice: the explicit get() / taskDone() loop, and `for await`. */
import { currentThread, type Queue, QueueShutDown } from "threadkit/threads";

export default function consumer(queue: Queue<number>): void {
  const me = currentThread().name;
  for (;;) {
    let integer: number;
    try {
      integer = queue.getSync(); // blocks until there is one
    } catch (error) {
      if (!(error instanceof QueueShutDown)) throw error;
      console.log(`get() raised QueueShutDown: ${me} stops`);
      return;
    }
    console.log(`${integer} popped from list by ${me}`);
    queue.taskDone();
  }
}

export async function iterating(queue: Queue<number>): Promise<void> {
  const me = currentThread().name;
  for await (const integer of queue) console.log(`${integer} popped from list by ${me}`); // taskDone() for us
  console.log(`the queue is shut down: ${me}'s for await ends`);
}
