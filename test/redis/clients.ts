/**
 * A redis-server of its own for a test file, started before its tests and stopped after them, and clients
 * connected to it that are closed with it.
 */
import { after, before } from "node:test";
import { createClient } from "redis";
import { type RedisServer, startRedis } from "../../tools/redis-server.ts";

export type NodeRedis = ReturnType<typeof createClient>;

/** Registers the file's server; `connect()` opens a client to it (call it in a test or a later hook). */
export function serverPerFile(): { connect(): Promise<NodeRedis> } {
  let server: Promise<RedisServer> | undefined;
  const opened: NodeRedis[] = [];
  // A file's top-level hooks may start before the one before them has finished: connect() awaits the start.
  before(async () => {
    server = startRedis();
    await server;
  });
  after(async () => {
    for (const c of opened) c.destroy();
    await (await server)?.stop();
  });
  return {
    async connect() {
      const c = createClient({ url: (await server!).url });
      c.on("error", () => {});
      await c.connect();
      opened.push(c);
      return c;
    },
  };
}
