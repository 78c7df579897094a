/**
 * A real redis-server for the Redis tier's tests, its benchmarks (bench/redis) and its examples: started on a
 * free loopback port with no persistence, in a folder of its own, and stopped after. When the machine has no
 * redis-server it is installed with apt-get (as CI does); if that is impossible the caller fails loudly: a
 * test never skips, an example never pretends.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN = "redis-server";

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    const path = join(dir, bin);
    if (existsSync(path)) return path;
  }
  for (const dir of ["/usr/bin", "/usr/local/bin", "/usr/sbin"]) {
    const path = join(dir, bin);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** The path of redis-server, installing Debian's package first when it is missing. */
export function redisServerPath(): string {
  const found = which(BIN);
  if (found) return found;
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execFileSync("apt-get", ["update"], { stdio: "ignore", env });
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "redis-server"], {
      stdio: "ignore",
      env,
    });
  } catch (error) {
    throw new Error(`redis-server is missing and apt-get could not install it: ${String(error)}`);
  }
  const installed = which(BIN);
  if (!installed) throw new Error("redis-server is still missing after apt-get install redis-server");
  return installed;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; the server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(address)));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  /** Extra arguments it was started with, so that restart() starts the same server again. */
  readonly args: string[];
  /** Stops it at once (SIGKILL) and waits for its exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill()). */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

async function waitReady(child: ChildProcess, port: number): Promise<void> {
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server on ${port} did not start:\n${out}`)),
      20_000,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${code}:\n${out}`));
    });
  });
  child.stdout?.resume();
}

/** Starts a redis-server on a free loopback port; `args` are extra server options. */
export async function startRedis(args: string[] = [], port?: number): Promise<RedisServer> {
  const bin = redisServerPath();
  const dir = mkdtempSync(join(tmpdir(), "threadkit-redis-"));
  const chosen = port ?? (await freePort());
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(
      bin,
      [
        "--port",
        String(chosen),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--protected-mode",
        "yes",
        ...args,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await waitReady(child, chosen);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  };
  await launch();
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    args,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The server a program talks to: `REDIS_URL` when it is set (then `stop()` leaves it alone), else its own. */
export async function redisFromEnv(): Promise<{ url: string; stop(): Promise<void> }> {
  const given = process.env.REDIS_URL;
  if (given) return { url: given, stop: async () => {} };
  const server = await startRedis();
  return { url: server.url, stop: () => server.stop() };
}
