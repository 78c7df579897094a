/**
 * What every primitive of the tier has: a name (the same name on any process is the same primitive), the
 * client it talks through, its keys under one hash tag, and its script. Options are checked before anything
 * is sent.
 */
import type { ResourceKind, ResourceRef } from "../internal/channels.ts";
import { nameResource, resourceOf } from "../internal/probe.ts";
import { type Driver, driverOf, type RedisClient } from "./client.ts";
import { timing } from "./config.ts";
import { Leases } from "./lease.ts";
import type { Script } from "./script.ts";
import { counted, type Waker, wakerOf } from "./waker.ts";

/** The options every constructor of the tier takes last. */
export interface RedisOptions {
  /** The primitive's name: the same name on any process or machine is the same primitive. */
  name: string;
  /** A connected node-redis or ioredis client; optional once `setDefaultClient()` was called. */
  client?: RedisClient;
  /** Lease of a lock or permit, in ms (default 30 s, see `configure`); renewed while the holder lives. */
  lease?: number;
}

let defaultClient: RedisClient | undefined;

/** The client primitives use when their options name none. */
export function setDefaultClient(client: RedisClient | undefined): void {
  if (client !== undefined) driverOf(client);
  defaultClient = client;
}

const leasesOf = new WeakMap<Driver, Leases>();

export function checkOptions(options: unknown, what: string): RedisOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${what} needs options { name, client } (the Redis tier's primitives are named)`);
  }
  const { name, lease } = options as RedisOptions;
  if (typeof name !== "string" || name.length === 0)
    throw new TypeError(`${what}: name must be a non-empty string`);
  if (name.length > 512 || /[{}]/.test(name)) {
    throw new TypeError(`${what}: name must be at most 512 characters, without '{' or '}'`);
  }
  if (lease !== undefined && (typeof lease !== "number" || !Number.isInteger(lease) || lease < 30)) {
    throw new RangeError(`${what}: lease must be a whole number of ms >= 30`);
  }
  return options as RedisOptions;
}

export abstract class Named extends EventTarget {
  readonly name: string;
  /** @internal */ readonly _client: RedisClient;
  /** @internal */ readonly _driver: Driver;
  /** @internal */ readonly _waker: Waker;
  /** @internal */ readonly _leases: Leases;
  protected readonly leaseMs: number;
  /** The hash tag shared by every key of the primitive (and of a Condition over it). */
  protected readonly tag: string;
  protected abstract readonly script: Script;
  protected abstract readonly keys: string[];

  constructor(options: unknown, what: string, tagName?: string) {
    super();
    const checked = checkOptions(options, what);
    const client = checked.client ?? defaultClient;
    const driver = driverOf(client);
    this._client = client as RedisClient;
    this.name = checked.name;
    this._driver = driver;
    this._waker = wakerOf(driver);
    let leases = leasesOf.get(driver);
    if (leases === undefined) leasesOf.set(driver, (leases = new Leases()));
    this._leases = leases;
    this.leaseMs = checked.lease ?? timing.lease;
    this.tag = `tk:{${tagName ?? checked.name}}`;
  }

  /**
   * @internal Its ResourceRef for the probe, made the first time it is traced: its name is its id (the same
   * on every process that uses it) and, unless `traceName` gave another, its name.
   */
  _traced(kind: ResourceKind): ResourceRef {
    const r = resourceOf(this, kind, () => this.name);
    if (r.name !== undefined) return r;
    nameResource(this, this.name);
    return resourceOf(this, kind);
  }

  /** Runs the primitive's script: operation `op` with `args`, over `keys` (its own by default). */
  protected call(op: string, args: (string | number)[], keys = this.keys): Promise<unknown> {
    return counted(
      this.script.run(this._driver, keys, [
        String(timing.idleTtl),
        String(timing.waiterTtl),
        String(this.leaseMs),
        op,
        ...args.map(String),
      ]),
    );
  }

  /**
   * Acknowledges a ticket that a wake-up brought (./waker.ts), not awaited by the waiter: resolves the
   * script's reply, or undefined if the connection failed (the ticket is then dropped at the waiter's
   * deadline, and whatever it granted lapses with its lease). It is sent once the waiter's caller has
   * resumed (about 0.1 ms sooner under load): it may follow the holder's release, which it then finds done.
   */
  protected acknowledge(args: (string | number)[]): Promise<unknown> {
    return new Promise((resolve) => setImmediate(resolve))
      .then(() => this.call("ack", args))
      .catch(() => undefined);
  }

  /** The four keys of a waiter line. */
  protected line(part: string): string[] {
    return [
      `${this.tag}:${part}:w`,
      `${this.tag}:${part}:d`,
      `${this.tag}:${part}:r`,
      `${this.tag}:${part}:t`,
    ];
  }
}
