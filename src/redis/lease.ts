/**
 * Leases: a lock or permit held by this process is renewed every third of its lease while the process holds
 * it, and lapses on the server when the process dies. A holder learns at once that a lease is lost (renewal
 * refused, or no renewal got through for a whole lease): its AbortSignal aborts and `onLost` runs. A lost
 * lease never throws: timers are unref'd and every failure is caught.
 */
import { ThreadingError } from "../api/errors.ts";
import { now } from "../internal/deadline.ts";

/** What a holder keeps: the fencing token of its grant, and a signal aborted when the lease is lost. */
export interface Lease {
  /** Grows with every grant of the primitive: pass it to the resources the lock protects. */
  readonly fence: number;
  /** Aborted (with a ThreadingError) when the lease is lost before it was given back. */
  readonly signal: AbortSignal;
}

/** Thrown into a lost lease's signal. */
export class LeaseLostError extends ThreadingError {
  override name = "LeaseLostError";
}

class Kept implements Lease {
  readonly controller = new AbortController();
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastOk = now();
  private busy = false;
  constructor(
    readonly fence: number,
    private readonly ms: number,
    private readonly renew: () => Promise<boolean>,
    private readonly onLost: (lease: Kept) => void,
  ) {
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.floor(ms / 3)));
    this.timer.unref?.();
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  private tick(): void {
    if (this.busy) return;
    this.busy = true;
    const sent = now();
    this.renew().then(
      (alive) => {
        this.busy = false;
        if (this.timer === undefined) return;
        if (alive) this.lastOk = sent;
        else this.lose("the lease was lost: another holder took over, or it lapsed on the server");
      },
      () => {
        this.busy = false;
        if (this.timer !== undefined && now() - this.lastOk > this.ms) {
          this.lose("the lease was lost: no renewal reached the server for a whole lease");
        }
      },
    );
  }
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
  lose(why: string): void {
    if (this.timer === undefined) return;
    this.stop();
    this.controller.abort(new LeaseLostError(why));
    try {
      this.onLost(this);
    } catch {
      // a lost lease never crashes the process
    }
  }
}

/** The leases this process holds, by primitive key and grant (a fence, or a permit's id): any object of the same name may give one back. */
export class Leases {
  private readonly byKey = new Map<string, Map<string, Kept>>();

  hold(
    key: string,
    grant: string,
    fence: number,
    ms: number,
    renew: () => Promise<boolean>,
    onLost: (lease: Lease) => void,
  ): Lease {
    let kept = this.byKey.get(key);
    if (kept === undefined) this.byKey.set(key, (kept = new Map()));
    const existing = kept.get(grant);
    if (existing) return existing; // an RLock re-entered: one grant, one lease
    const lease = new Kept(fence, ms, renew, (l) => {
      this.forget(key, grant);
      onLost(l);
    });
    kept.set(grant, lease);
    return lease;
  }

  /** Stops renewing a grant given back (no-op when this process does not hold it). */
  drop(key: string, grant: string): void {
    this.byKey.get(key)?.get(grant)?.stop();
    this.forget(key, grant);
  }

  /** A grant the server says is gone (no-op when this process does not hold it): its lease is lost now. */
  lose(key: string, grant: string): void {
    this.byKey.get(key)?.get(grant)?.lose("the lease was lost: the grant lapsed before it was acknowledged");
  }

  /** The grants of `key` held by this process, newest last. */
  held(key: string): string[] {
    return [...(this.byKey.get(key)?.keys() ?? [])];
  }

  private forget(key: string, grant: string): void {
    const kept = this.byKey.get(key);
    kept?.delete(grant);
    if (kept?.size === 0) this.byKey.delete(key);
  }
}

/** Dispatched on a primitive of this process whose lease was lost while held. */
export class LeaseLostEvent extends globalThis.Event {
  constructor(readonly lease: Lease) {
    super("leaselost");
  }
}
