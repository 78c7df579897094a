/** The body of each worker of ../threads-squares.ts: squares numbers until the queue is shut down. */
import { currentThread, type Queue } from "threadkit/threads";

export default async function square(jobs: Queue<number>, results: Queue<string>): Promise<void> {
  for await (const n of jobs) results.putNowait(`${n} squared is ${n * n} (${currentThread().name})`);
}
