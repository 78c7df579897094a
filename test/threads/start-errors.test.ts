/**
 * What `Thread.start()` of threadkit/threads says when it cannot start: args holding a primitive of the local
 * tier name it, where it is, and where to import the shared one from; nothing has started then. (A
 * TypeScript target that nothing can load is checked where no tsx is installed: test/package.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as local from "../../src/index.ts";
import { Lock, Thread } from "../../src/threads/index.ts";

const counter = new URL("./targets/counter.ts", import.meta.url);

function startError(args: unknown[]): TypeError {
  const thread = new Thread({ target: counter, args });
  let caught: unknown;
  try {
    thread.start();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof TypeError, `start() throws a TypeError, got ${String(caught)}`);
  assert.equal(thread.isAlive(), false, "nothing started");
  assert.equal(thread.ident, null);
  return caught;
}

describe("threads Thread.start(): args that cannot cross", () => {
  it("a local Lock at the top level: says where it is and to take it from threadkit/threads", () => {
    const error = startError([new local.Lock(), new Int32Array(new SharedArrayBuffer(4)), 1]);
    assert.equal(
      error.message,
      'Thread args must be structured-cloneable: args[0] is a Lock from "threadkit", which works on one event ' +
        'loop only; a primitive shared with a Thread must come from "threadkit/threads" (import { Lock } from ' +
        '"threadkit/threads")',
    );
    assert.equal((error.cause as Error).name, "DataCloneError");
  });

  it("every local primitive, nested in arrays, plain objects and Maps, is found by its path", () => {
    const cases: [unknown, string, string][] = [
      [{ q: new local.Queue<number>() }, "args[0].q", "Queue"],
      [[1, [new local.Semaphore(2)]], "args[0][1][0]", "Semaphore"],
      [new Map([["ev", new local.Event()]]), 'args[0].get("ev")', "Event"],
      [{ deep: { c: new local.Condition() } }, "args[0].deep.c", "Condition"],
      [new local.RLock(), "args[0]", "RLock"],
      [new local.BoundedSemaphore(1), "args[0]", "BoundedSemaphore"],
      [new local.Barrier(2), "args[0]", "Barrier"],
      [new local.LifoQueue(), "args[0]", "LifoQueue"],
      [new local.PriorityQueue(), "args[0]", "PriorityQueue"],
      [new local.SimpleQueue(), "args[0]", "SimpleQueue"],
    ];
    for (const [arg, path, name] of cases) {
      const { message } = startError([arg]);
      assert.ok(
        message.includes(`${path} is a ${name} from "threadkit"`) && message.includes('"threadkit/threads"'),
        message,
      );
    }
  });

  it("a shared primitive next to a local one: the local one is named", () => {
    const { message } = startError([new Lock(), { other: new local.Lock() }]);
    assert.match(message, /args\[1\]\.other is a Lock from "threadkit"/);
  });

  it("other values that cannot be cloned keep the runtime's own reason", () => {
    const { message } = startError([() => 1]);
    assert.match(message, /^Thread args must be structured-cloneable: .*could not be cloned/);
    assert.doesNotMatch(message, /threadkit/);
    // A look-alike that is not the local tier's is not called one.
    class Lock {
      fn = () => 0;
    }
    assert.doesNotMatch(startError([new Lock()]).message, /from "threadkit"/);
  });
});
