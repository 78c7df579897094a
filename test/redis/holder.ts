/**
 * A process that takes a lock and holds it until killed: `TK_REDIS_URL`, `TK_LOCK` (its name), `TK_LEASE`
 * (ms). Tells its parent the grant's fence over IPC.
 */
import { createClient } from "redis";
import { Lock } from "../../src/redis/index.ts";

const client = createClient({ url: process.env.TK_REDIS_URL });
client.on("error", () => {});
await client.connect();
const lock = new Lock({ name: process.env.TK_LOCK!, client, lease: Number(process.env.TK_LEASE) });
await lock.acquire();
process.send!({ fence: lock.lease!.fence });
setInterval(() => {}, 60_000);
