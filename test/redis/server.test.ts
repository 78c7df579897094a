/** The redis-server starter (tools/redis-server.ts): a real redis-server on a loopback port, gone after stop(). */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { startRedis } from "../../tools/redis-server.ts";

function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.endsWith("\r\n")) {
        socket.end();
        resolve(reply.trim());
      }
    });
    socket.on("error", reject);
    socket.write("PING\r\n");
  });
}

describe("test redis-server", () => {
  it("starts on a free loopback port, answers PING, restarts on the same port, and is gone after stop()", async () => {
    const server = await startRedis();
    try {
      assert.equal(await ping(server.port), "+PONG");
      await server.kill();
      await assert.rejects(ping(server.port));
      await server.restart();
      assert.equal(await ping(server.port), "+PONG");
    } finally {
      await server.stop();
    }
    await assert.rejects(ping(server.port));
  });
});
