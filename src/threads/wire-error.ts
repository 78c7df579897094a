/**
 * How an error crosses between threads (a Thread's uncaught error to its parent, a Barrier action's error to
 * the round's last arrival): an Error's name, message, stack and a plain `code`, rebuilt on the other side as
 * a threadkit error of its class, a built-in of its class, or else an Error bearing that name; any other
 * thrown value as structured clone carries it (else its string).
 */
import { errorFromRecord } from "../internal/error-record.ts";

/** An error as it crosses: an Error's parts (threadkit errors rebuilt from `code`), or a value. */
export type WireError =
  | { kind: "error"; name: string; message: string; stack: string | undefined; code: unknown }
  | { kind: "value"; value: unknown };

/** The parts of an error that cross to another thread. */
export function wireError(error: unknown): WireError {
  if (error instanceof Error) {
    const { name, message, stack } = error;
    const code = (error as { code?: unknown }).code;
    const plain = typeof code === "string" || typeof code === "number" ? code : undefined;
    return { kind: "error", name, message, stack, code: plain };
  }
  try {
    structuredClone(error);
    return { kind: "value", value: error };
  } catch {
    return { kind: "value", value: String(error) };
  }
}

const builtins: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** The error again: a threadkit error of its class, a built-in of its class, else an Error with its name. */
export function rebuild(wire: WireError): unknown {
  if (wire.kind === "value") return wire.value;
  const { name, message, stack, code } = wire;
  let error: Error | undefined;
  if (typeof code === "string") {
    const threadkit = errorFromRecord({ code, message });
    if (threadkit.code === code && threadkit.name === name) error = threadkit;
  }
  if (error === undefined) {
    error = new (builtins[name] ?? Error)(message);
    if (error.name !== name)
      Object.defineProperty(error, "name", { value: name, configurable: true, writable: true });
    if (code !== undefined)
      Object.defineProperty(error, "code", { value: code, configurable: true, writable: true });
  }
  if (stack !== undefined)
    Object.defineProperty(error, "stack", { value: stack, configurable: true, writable: true });
  return error;
}
