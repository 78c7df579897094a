/** The page of the local tier on a browser's main thread: the contract suites that need no thread identity. */
import { run } from "./harness.ts";
import "../../local/barrier.contract.test.ts";
import "../../local/event.contract.test.ts";
import "../../local/lock.contract.test.ts";
import "../../local/queue.contract.test.ts";
import "../../local/semaphore.contract.test.ts";
import "./browser-build.spec.ts";
import "./no-context.spec.ts";

(globalThis as { __results?: unknown }).__results = await run();
