/**
 * Requests to a forked process over IPC, each with an id, answered by a message `{ id, ...reply }` or
 * `{ id, error }`; and stopping that process. Shared by the tests' and the bench's agent processes.
 */
import type { ChildProcess } from "node:child_process";

export class Calls<Reply> {
  private seq = 0;
  private readonly pending = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();

  constructor(private readonly proc: ChildProcess) {}

  send(request: object): Promise<Reply> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.send({ id, ...request });
    });
  }

  /** Settles the call that message `m` answers. */
  answer(m: Reply & { id?: number; error?: string }): void {
    const call = this.pending.get(m.id!);
    this.pending.delete(m.id!);
    if (m.error !== undefined) call?.reject(new Error(`agent: ${m.error}`));
    else call?.resolve(m);
  }

  /** Fails every call still waiting (the process exited). */
  failAll(error: Error): void {
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}

/** Kills `proc` (SIGKILL) and resolves once it exited; at once if it already has. */
export async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  proc.kill("SIGKILL");
  await exited;
}
