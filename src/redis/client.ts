/**
 * The small client interface the Redis tier is written against, and the adapters that make a node-redis
 * (`redis`, the reference client) or an ioredis client fit it. Neither package is imported: a client is
 * recognised by its shape, so neither is a dependency of threadkit.
 *
 * Connections: the user's client carries every command (scripts and reads). The tier opens exactly one more
 * connection per client, a subscriber for wake-ups (see ./waker.ts). So a process uses 2 connections per
 * client however many primitives and waiters it has.
 */

/** What the tier needs from a connection to Redis. */
export interface Driver {
  /** Sends one command (its first argument is the command name); `key` routes it under Cluster. */
  send(key: string, args: string[]): Promise<unknown>;
  /** Whether commands can be sent now (connected, or reconnecting and queueing). */
  usable(): boolean;
  /**
   * Whether the client may send a command again after a reconnect when its reply was lost (ioredis does,
   * unless `autoResendUnfulfilledCommands: false`): the tier then sends each state change with a request
   * id that the server runs once (./script.ts).
   */
  readonly resends?: boolean;
  /**
   * Opens the subscriber connection: `onMessage` for each message on `channel`, `onReady` each time the
   * connection is (re)established, messages sent while it was down being lost. Never keeps the process alive,
   * and closes by itself when the user's client is closed (`onEnd` then runs), so that a process whose
   * client was closed can exit: a subscriber left reconnecting to a server that went away would keep it up.
   */
  subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onReady: () => void,
    onEnd?: () => void,
  ): Promise<Subscription>;
}

export interface Subscription {
  close(): Promise<void>;
}

interface NodeRedisLike {
  isOpen: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(): NodeRedisLike;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  unref(): void;
  destroy?(): void;
  disconnect?(): Promise<void>;
}

interface NodeRedisClusterLike {
  isOpen: boolean;
  sendCommand(key: string, readonly: boolean, args: string[]): Promise<unknown>;
  duplicate(): NodeRedisClusterLike;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  destroy?(): void;
  disconnect?(): Promise<void>;
  masters: unknown[];
  /** The node client carrying the cluster's subscriptions (node-redis 5). */
  readonly pubSubNode?: {
    client: { on(event: string, listener: () => void): unknown };
    connectPromise?: Promise<unknown>;
  };
}

interface IoredisLike {
  status: string;
  options?: { autoResendUnfulfilledCommands?: boolean };
  call(command: string, ...args: string[]): Promise<unknown>;
  duplicate(): IoredisLike;
  subscribe(channel: string): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  disconnect(): void;
  stream?: { unref?(): void };
  isCluster?: boolean;
}

/** A client the tier accepts: a connected node-redis client or cluster, an ioredis Redis or Cluster, or a Driver. */
export type RedisClient = object;

const drivers = new WeakMap<object, Driver>();

function isDriver(client: object): client is Driver {
  return typeof (client as Driver).send === "function" && typeof (client as Driver).subscribe === "function";
}

function isIoredis(client: object): client is IoredisLike {
  return (
    typeof (client as IoredisLike).call === "function" && typeof (client as IoredisLike).status === "string"
  );
}

function isNodeRedis(client: object): client is NodeRedisLike {
  return (
    typeof (client as NodeRedisLike).sendCommand === "function" &&
    typeof (client as NodeRedisLike).isOpen === "boolean"
  );
}

/**
 * The Driver of `client`, made once per client (so every primitive on one client shares its subscriber).
 * A TypeError, before anything is sent, for anything that is not a client, or a client that is not connected.
 */
export function driverOf(client: unknown): Driver {
  if (typeof client !== "object" || client === null) {
    throw new TypeError(
      "client must be a connected node-redis or ioredis client (or call setDefaultClient first)",
    );
  }
  const known = drivers.get(client);
  if (known) {
    if (!known.usable()) throw new TypeError("the Redis client is not connected: connect it first");
    return known;
  }
  let driver: Driver;
  if (isDriver(client)) driver = client;
  else if (isIoredis(client)) driver = ioredisDriver(client);
  else if (isNodeRedis(client)) {
    driver = "masters" in client ? nodeRedisClusterDriver(client as never) : nodeRedisDriver(client);
  } else throw new TypeError("client must be a connected node-redis or ioredis client");
  if (!driver.usable()) throw new TypeError("the Redis client is not connected: connect it first");
  drivers.set(client, driver);
  return driver;
}

function nodeRedisDriver(client: NodeRedisLike): Driver {
  return {
    send: (_key, args) => client.sendCommand(args),
    usable: () => client.isOpen,
    async subscribe(channel, onMessage, onReady, onEnd) {
      const sub = client.duplicate();
      sub.on("error", () => {}); // reconnects by itself; onReady re-checks every waiter then
      sub.on("ready", () => {
        sub.unref();
        onReady();
      });
      const close = followEnd(client, "end", () => closeNodeRedis(sub), onEnd);
      await sub.connect();
      sub.unref();
      await sub.subscribe(channel, onMessage);
      if (!client.isOpen) await close();
      return { close };
    },
  };
}

function nodeRedisClusterDriver(client: NodeRedisClusterLike): Driver {
  return {
    send: (key, args) => client.sendCommand(key, false, args),
    usable: () => client.isOpen,
    async subscribe(channel, onMessage, onReady, onEnd) {
      const sub = client.duplicate();
      sub.on("error", () => {});
      const close = followEnd(client, "disconnect", () => closeNodeRedis(sub), onEnd);
      await sub.connect();
      await sub.subscribe(channel, onMessage);
      // A cluster emits no `ready` of its own: its subscriptions live on one node client (`pubSubNode`),
      // which emits `ready` after each reconnect, once it has subscribed again. A new node client (the
      // cluster moved its subscriptions) announces itself with `node-ready` and subscribes after that.
      let watched: NodeRedisClusterLike["pubSubNode"];
      const watch = () => {
        const node = sub.pubSubNode;
        if (node === undefined || node.client === watched?.client) return;
        const fresh = watched !== undefined;
        watched = node;
        node.client.on("ready", onReady);
        if (fresh) Promise.resolve(node.connectPromise).then(onReady, () => {});
      };
      watch();
      sub.on("node-ready", watch);
      if (!client.isOpen) await close();
      return { close };
    },
  };
}

async function closeNodeRedis(sub: {
  isOpen: boolean;
  destroy?(): void;
  disconnect?(): Promise<void>;
}): Promise<void> {
  if (!sub.isOpen) return;
  if (sub.destroy) sub.destroy();
  else await sub.disconnect?.();
}

/**
 * Closes a subscriber once (by hand, or when its user's `client` emits `event`: the user closed it), then
 * tells `onEnd`. Returns the closing function.
 */
function followEnd(
  client: { on(event: string, listener: () => void): unknown },
  event: string,
  closeSub: () => Promise<void>,
  onEnd: (() => void) | undefined,
): () => Promise<void> {
  let closed: Promise<void> | undefined;
  const close = () => {
    if (closed === undefined) {
      closed = closeSub().catch(() => {});
      onEnd?.();
    }
    return closed;
  };
  client.on(event, () => void close());
  return close;
}

function ioredisDriver(client: IoredisLike): Driver {
  return {
    resends: client.options?.autoResendUnfulfilledCommands !== false,
    send: (_key, args) => client.call(args[0]!, ...args.slice(1)),
    usable: () => client.status !== "wait" && client.status !== "end" && client.status !== "close",
    async subscribe(channel, onMessage, onReady, onEnd) {
      const sub = client.duplicate();
      sub.on("error", () => {});
      const close = followEnd(
        client,
        "end",
        async () => {
          sub.disconnect();
        },
        onEnd,
      );
      const unref = () => sub.stream?.unref?.();
      sub.on("connect", unref);
      sub.on("message", ((ch: string, message: string) => {
        if (ch === channel) onMessage(message);
      }) as never);
      let first = true;
      sub.on("ready", () => {
        unref();
        if (first) first = false;
        else onReady();
      });
      await sub.subscribe(channel);
      unref();
      if (client.status === "end") await close();
      return { close };
    },
  };
}
