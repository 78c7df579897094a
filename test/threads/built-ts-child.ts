/** Run by ./built-ts.test.ts under tsx: the built tier ("threadkit/threads", dist) starts a .ts target. */
import { Lock, Thread } from "threadkit/threads";

const t = new Thread({
  target: new URL("./targets/built-body.ts", import.meta.url),
  args: [new Lock()],
  name: "ts",
});
t.start();
await t.join();
if (t.error !== undefined) throw t.error;
