/**
 * The first module of a Thread's Web Worker (see ./web-host.ts): waits for the boot message, leaves it where
 * the tier looks for it, then loads the worker entry, which runs the target. Imports nothing before the boot
 * message, so that every module of the tier loads after it. The worker closes once the target has settled
 * (a web worker never ends by itself; work the target left scheduled does not run).
 */
const BOOT = Symbol.for("threadkit/threads:boot");

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
  [BOOT]?: unknown;
};

scope.onmessage = (event: MessageEvent) => {
  scope.onmessage = null;
  scope[BOOT] = event.data;
  scope.postMessage({ threadkit: "started" });
  const entry = new URL(
    /\.[mc]?ts$/.test(import.meta.url) ? "./worker-entry.ts" : "./worker-entry.js",
    import.meta.url,
  );
  import(entry.href).then(
    () => scope.close(),
    (error: unknown) => {
      setTimeout(() => {
        throw error; // the parent's "error" event
      });
    },
  );
};
