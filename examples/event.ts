/**
 * Laurent Luce's Event producer/consumer: the producer appends a random integer, then sets the event and
 * clears it at once; the consumer, blocked in wait(), wakes (a wait that saw the set returns true even though
 * the flag was cleared since) and pops the integer. Real worker threads (threadkit/threads); the bodies are
 * in ./event/. Five integers.
 */
import { Event, Thread } from "threadkit/threads";
import { newChannel } from "./event/channel.ts";

const n = 5;
const integers = newChannel(n);
const event = new Event();
const producer = new Thread({
  target: new URL("./event/producer.js", import.meta.url),
  args: [integers, event, n],
  name: "Thread-1",
});
const consumer = new Thread({
  target: new URL("./event/consumer.js", import.meta.url),
  args: [integers, event, n],
  name: "Thread-2",
});
consumer.start();
producer.start();
await producer.join();
await consumer.join();
if (producer.error !== undefined || consumer.error !== undefined) process.exit(1);
