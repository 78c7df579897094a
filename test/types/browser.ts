/**
 * The browser build's modules (package.json's "browser" field puts each in place of its twin) export what
 * their twins export, with the same types: checked by `tsc --noEmit` (`npm run typecheck`), never run.
 */
import { expectTypeOf } from "expect-type";
import type * as DeadlockOn from "../../src/internal/deadlock.ts";
import type * as DeadlockOff from "../../src/internal/deadlock-off.ts";
import type * as ProbeOn from "../../src/internal/probe.ts";
import type * as ProbeOff from "../../src/internal/probe-off.ts";
import type * as WaitsOn from "../../src/local/waits.ts";
import type * as WaitsOff from "../../src/local/waits-off.ts";

/** A module's exports as a plain object: an exported `const` and an exported `function` read alike. */
type Exports<M> = { -readonly [K in keyof M]: M[K] };

expectTypeOf<Exports<typeof ProbeOff>>().toEqualTypeOf<Exports<typeof ProbeOn>>();
expectTypeOf<Exports<typeof DeadlockOff>>().toEqualTypeOf<Exports<typeof DeadlockOn>>();
expectTypeOf<Exports<typeof WaitsOff>>().toEqualTypeOf<Exports<typeof WaitsOn>>();
