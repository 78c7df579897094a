/**
 * A child process of a Redis example (./processes.ts): its client on the parent's server (REDIS_URL), and an
 * end if the parent goes away first.
 */
import { createClient } from "redis";
import { setDefaultClient } from "threadkit/redis";

// The parent died without killing us (SIGKILL): a consumer waiting for items would wait forever.
const orphaned = () => process.exit(1);
process.once("disconnect", orphaned);

/** Connects this process's client and makes it the default one of threadkit/redis. */
export async function connect(): Promise<ReturnType<typeof createClient>> {
  const client = createClient({ url: process.env.REDIS_URL });
  await client.connect();
  setDefaultClient(client);
  return client;
}

/** Closes the client and lets go of the parent's channel: nothing is left to run, and the process ends. */
export async function finish(client: ReturnType<typeof createClient>): Promise<void> {
  await client.close();
  process.off("disconnect", orphaned);
  process.disconnect?.();
}
