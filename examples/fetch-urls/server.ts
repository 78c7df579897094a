/**
 * The web the fetch-urls examples fetch from: an HTTP server on 127.0.0.1 (a free port) that sends each
 * page in four parts, 15 ms apart, so a reader gets a page in four pieces as it arrives, as over a network.
 * A page whose name starts with "slow" waits 700 ms between its parts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** Starts the server; resolves its base URL and a function that stops it. */
export async function startServer(): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createServer(async (request, response) => {
    const page = (request.url ?? "/").slice(1);
    const pause = page.startsWith("slow") ? 700 : 15;
    response.writeHead(200, { "content-type": "text/plain" });
    for (let part = 1; part <= 4; part++) {
      response.write(`[${page} ${part}/4]${part === 4 ? "\n" : ""}`);
      if (part < 4) await sleep(pause);
    }
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.on("clientError", () => {}); // a client that gave up on a slow page
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // a slow page's client may have given up on it
      }),
  };
}

/**
 * What became of the pages in a file both threads wrote: how many are in one piece (their four parts one
 * after the other) and how many were cut by the other thread's writes.
 */
export function inspect(text: string): { whole: number; cut: number } {
  const parts = text.match(/\[\w+ \d\/4\]/g) ?? [];
  let whole = 0;
  let cut = 0;
  for (let i = 0; i < parts.length; i++) {
    const first = /^\[(\w+) 1\/4\]$/.exec(parts[i] as string);
    if (first === null) continue;
    const page = first[1];
    const rest = parts.slice(i + 1, i + 4);
    if (rest.join("") === `[${page} 2/4][${page} 3/4][${page} 4/4]`) whole++;
    else cut++;
  }
  return { whole, cut };
}
