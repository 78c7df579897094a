/**
 * The measuring half of the benchmarks: samples, medians, min–max, ratios to threadkit, targets, the
 * progress line, the tables and the JSON. Workloads (./local, ./threads) only say what to run.
 *
 * Method: every contender of a workload runs in the same process, in rounds: each round runs every
 * contender once, in an order rotated by one per round, so drift (turbo, a noisy neighbour, GC) hits all
 * of them alike. The first rounds are warm-up and are not recorded. A sample is one timed batch of `ops`
 * operations, timed with process.hrtime.bigint; its figure is nanoseconds per operation. We report the
 * median of the samples and their min–max, never a mean. A target is judged on the medians; a speed-up
 * target also says the median of the per-round ratios (two contenders' samples of the same round), which
 * drift slower than a round does not move, as a check on the first when the machine is noisy.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";

/** One way of doing the workload. */
export interface Contender {
  name: string;
  kind: "threadkit" | "floor" | "competitor" | "python";
  /** Operations per sample (default: the workload's). */
  ops?: number;
  /**
   * Runs `ops` operations and resolves the nanoseconds they took, or those and what the sample counted
   * (keyed as the workload's `counts` say).
   */
  run(ops: number): Promise<number | Counted>;
  /** Set when this contender cannot run here; it is listed with the reason and not sampled. */
  unavailable?: string;
  /** A line said under the table (e.g. what a row really measures). */
  note?: string;
}

/** A sample's time and what it counted besides (hand-offs, sleeps...): see `Workload.counts`. */
export interface Counted {
  ns: number;
  counts: Record<string, number>;
}

/** A figure a workload's samples count besides their time, shown as a column of its own (median of the samples). */
export interface Count {
  key: string;
  /** The column's head. */
  head: string;
  /**
   * Per operation (divided by the sample's ops), per sample as counted, a time in ns (shown as one), or a
   * ratio (shown with two decimals).
   */
  per: "op" | "sample" | "ns" | "ratio";
}

/** A target the project set itself, checked on the medians (`samples`: each contender's, in round order). */
export interface Target {
  text: string;
  check(
    medians: ReadonlyMap<string, number>,
    samples: ReadonlyMap<string, readonly number[]>,
  ): { ok: boolean | null; detail: string };
}

export interface Workload {
  name: string;
  title: string;
  /** How a figure is shown: time per operation, or operations per second. */
  show: "ns/op" | "ops/s";
  /** What one operation is (a lock cycle, an item, a round trip). */
  op: string;
  /** Operations per sample. */
  ops: number;
  /** At most this many recorded rounds, for a workload whose samples are long (one warm-up round then). */
  reps?: number;
  /** The contender the ratios divide by. */
  reference: string;
  targets?: Target[];
  notes?: string[];
  /** Figures counted in each sample besides its time (see `Counted`), each a column of the table. */
  counts?: Count[];
  /** Lines said under the table, made from the measured rows (after the run). */
  summarize?(rows: readonly Row[]): string[];
  /** Resolves the contenders once (spawn workers, install...); `close` undoes it. */
  prepare(ctx: RunContext): Promise<Contender[]>;
  close?(): Promise<void>;
}

export interface RunContext {
  quick: boolean;
  /** Rounds to record (after warm-up). */
  reps: number;
}

export interface Row {
  name: string;
  kind: Contender["kind"];
  ops: number;
  unavailable?: string;
  note?: string;
  samples: number[];
  median: number;
  min: number;
  max: number;
  /** median ÷ the reference's median: above 1, threadkit is faster. */
  ratio: number | null;
  /** For each of the workload's counts: its samples (per op when the count is), in round order. */
  counts?: Record<string, number[]>;
}

export interface Result {
  workload: string;
  title: string;
  show: Workload["show"];
  op: string;
  reference: string;
  rows: Row[];
  targets: { text: string; ok: boolean | null; detail: string }[];
  notes: string[];
  counts?: Count[];
  error?: string;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** Nanoseconds since an arbitrary start (monotonic, the same clock in every worker thread). */
export const clock = (): bigint => process.hrtime.bigint();

/** Times `body` (which runs `ops` operations) and resolves the nanoseconds it took. */
export async function timed(body: () => Promise<void> | void): Promise<number> {
  const t0 = clock();
  await body();
  return Number(clock() - t0);
}

// ---------------------------------------------------------------------------------------------- progress

const tty = process.stderr.isTTY === true;
// A workload's process counts from when the whole run started (run.ts passes it on).
const started = Number(process.env.BENCH_STARTED) || Date.now();
let lastLine = "";

export const startedAt = (): number => started;

/** The one progress line (stderr): redrawn in place on a terminal, printed once per change of step elsewhere. */
export function progress(text: string): void {
  const secs = Math.round((Date.now() - started) / 1000);
  const line = `[${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}] ${text}`;
  if (tty) process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
  else if (text.split(" · ")[0] !== lastLine.split(" · ")[0]) process.stderr.write(`${line}\n`);
  lastLine = text;
}

export function clearProgress(): void {
  if (tty) process.stderr.write("\r\x1b[K");
}

// ---------------------------------------------------------------------------------------------- running

/** Runs one workload: prepare, warm up, interleaved rounds, close; never throws (errors land in the result). */
export async function runWorkload(w: Workload, ctx: RunContext, label: string): Promise<Result> {
  const result: Result = {
    workload: w.name,
    title: w.title,
    show: w.show,
    op: w.op,
    reference: w.reference,
    rows: [],
    targets: [],
    notes: [...(w.notes ?? [])],
    ...(w.counts ? { counts: w.counts } : {}),
  };
  try {
    progress(`${label} ${w.name} · preparing`);
    const contenders = await w.prepare(ctx);
    let live = contenders.filter((c) => c.unavailable === undefined);
    const samples = new Map<Contender, number[]>(live.map((c) => [c, []]));
    const counted = new Map<Contender, Record<string, number[]>>();
    // A competitor that fails (loses or alters items) is listed with why and not sampled any more; a
    // failure of threadkit or of a floor fails the workload.
    const failed = new Map<Contender, string>();
    const reps = Math.min(ctx.reps, w.reps ?? ctx.reps);
    const warmup = ctx.quick || w.reps !== undefined ? 1 : 2;
    for (let round = 0; round < warmup + reps; round++) {
      live = live.filter((c) => !failed.has(c));
      for (let k = 0; k < live.length; k++) {
        const c = live[(k + round) % live.length]!;
        if (failed.has(c)) continue;
        const phase = round < warmup ? "warm-up" : `rep ${round - warmup + 1}/${reps}`;
        progress(`${label} ${w.name} · ${phase} · ${c.name}`);
        const ops = c.ops ?? w.ops;
        let ns: number;
        let counts: Record<string, number> | undefined;
        try {
          const got = await c.run(ops);
          ns = typeof got === "number" ? got : got.ns;
          counts = typeof got === "number" ? undefined : got.counts;
        } catch (error) {
          if (c.kind !== "competitor" && c.kind !== "python") throw error;
          failed.set(c, `failed: ${error instanceof Error ? error.message : String(error)}`);
          samples.set(c, []);
          continue;
        }
        if (round >= warmup) {
          samples.get(c)!.push(ns / ops);
          for (const k of w.counts ?? []) {
            const v = counts?.[k.key] ?? Number.NaN;
            const of = counted.get(c) ?? {};
            counted.set(c, of);
            (of[k.key] ??= []).push(k.per === "op" ? v / ops : v);
          }
        }
      }
    }
    const ref = live.find((c) => c.name === w.reference);
    const refMedian = ref ? median(samples.get(ref)!) : Number.NaN;
    for (const c of contenders) {
      const s = samples.get(c) ?? [];
      const m = median(s);
      result.rows.push({
        name: c.name,
        kind: c.kind,
        ops: c.ops ?? w.ops,
        ...(c.unavailable !== undefined || failed.has(c)
          ? { unavailable: c.unavailable ?? failed.get(c) }
          : {}),
        ...(c.note !== undefined ? { note: c.note } : {}),
        samples: s,
        median: m,
        min: s.length ? Math.min(...s) : Number.NaN,
        max: s.length ? Math.max(...s) : Number.NaN,
        ratio: s.length && Number.isFinite(refMedian) ? m / refMedian : null,
        ...(counted.has(c) ? { counts: counted.get(c)! } : {}),
      });
    }
    const measured = result.rows.filter((r) => r.samples.length);
    const medians = new Map(measured.map((r) => [r.name, r.median]));
    const byRound = new Map(measured.map((r) => [r.name, r.samples]));
    for (const t of w.targets ?? []) result.targets.push({ text: t.text, ...t.check(medians, byRound) });
    result.notes.push(...(w.summarize?.(result.rows) ?? []));
  } catch (error) {
    result.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
  } finally {
    try {
      await w.close?.();
    } catch (error) {
      result.notes.push(`close failed: ${String(error)}`);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------- targets

/** Median ns/op of `name`, or of the fastest of `names`. */
function pick(m: ReadonlyMap<string, number>, names: string | readonly string[]): [string, number] | null {
  const list = typeof names === "string" ? [names] : names;
  let best: [string, number] | null = null;
  for (const n of list) {
    const v = m.get(n);
    if (v !== undefined && (best === null || v < best[1])) best = [n, v];
  }
  return best;
}

/**
 * `of` is at least `k` times as fast as `than` (each may be a list: its fastest counts): than's time ÷ of's time >= k.
 * "within 1.2x of X" is k = 1/1.2; "at least 0.9x the floor" is k = 0.9.
 */
export function speedup(
  of: string | readonly string[],
  than: string | readonly string[],
  k: number,
  text: string,
): Target {
  return {
    text,
    check(m, samples) {
      const a = pick(m, of);
      const b = pick(m, than);
      if (a === null || b === null) return { ok: null, detail: "not measured" };
      const s = b[1] / a[1];
      const as = samples.get(a[0]) ?? [];
      const bs = samples.get(b[0]) ?? [];
      const paired = median(as.map((x, i) => (bs[i] ?? Number.NaN) / x).filter(Number.isFinite));
      return {
        ok: s >= k,
        detail:
          `${a[0]} ${fmtNs(a[1])} vs ${b[0]} ${fmtNs(b[1])}: ${s.toFixed(2)}x as fast (need >= ${k.toFixed(2)}x;` +
          ` round by round ${paired.toFixed(2)}x)`,
      };
    },
  };
}

/** The median of `of` is at most `ns` nanoseconds per operation. */
export function atMost(of: string, ns: number, text: string): Target {
  return {
    text,
    check(m) {
      const a = m.get(of);
      if (a === undefined) return { ok: null, detail: "not measured" };
      return { ok: a <= ns, detail: `${fmtNs(a)} (need <= ${fmtNs(ns)}; ${(a / ns).toFixed(2)}x the bound)` };
    },
  };
}

/** The slowest of `names` is at most `k` times the fastest. */
export function flat(names: readonly string[], k: number, text: string): Target {
  return {
    text,
    check(m) {
      const vs = names.map((n) => m.get(n)).filter((v): v is number => v !== undefined);
      if (vs.length < names.length) return { ok: null, detail: "not measured" };
      const r = Math.max(...vs) / Math.min(...vs);
      return { ok: r <= k, detail: `slowest/fastest = ${r.toFixed(2)}x (need <= ${k}x)` };
    },
  };
}

// ---------------------------------------------------------------------------------------------- printing

export function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return "—";
  if (ns >= 999.5e6) return `${(ns / 1e9).toPrecision(3)} s`;
  if (ns >= 999.5e3) return `${(ns / 1e6).toPrecision(3)} ms`;
  if (ns >= 999.5) return `${(ns / 1e3).toPrecision(3)} us`;
  return `${ns.toPrecision(3)} ns`;
}

function fmtRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return "—";
  // Thresholds just below the round numbers, so 999.7k prints as 1.00M and not 1.00e+3k.
  if (perSec >= 999.5e3) return `${(perSec / 1e6).toPrecision(3)}M`;
  if (perSec >= 999.5) return `${(perSec / 1e3).toPrecision(3)}k`;
  return perSec.toPrecision(3);
}

/** The table of one workload, as Markdown (readable in a terminal too). */
export function table(r: Result): string {
  const rate = r.show === "ops/s";
  const unit = rate ? `${r.op}s/s` : `ns per ${r.op}`;
  const out = [`### ${r.workload}: ${r.title}`, ""];
  if (r.error) return [...out, `FAILED: ${r.error}`, ""].join("\n");
  const counts = r.counts ?? [];
  const rows = r.rows.map((row) => {
    if (row.unavailable !== undefined) {
      const what = row.unavailable.startsWith("failed: ") ? "failed" : "not available";
      return [row.name, row.kind, what, "", "", ...counts.map(() => ""), row.unavailable];
    }
    const show = (ns: number) => (rate ? fmtRate(1e9 / ns) : fmtNs(ns).replace(/ ns$/, ""));
    // As a rate the fastest sample is the max: list the range low to high either way.
    const range = rate ? `${show(row.max)}–${show(row.min)}` : `${show(row.min)}–${show(row.max)}`;
    const ratio =
      row.name === r.reference ? "1.00 (ref)" : row.ratio === null ? "—" : `${row.ratio.toFixed(2)}x`;
    const extra = counts.map((k) => fmtCount(k, median(row.counts?.[k.key] ?? [])));
    return [row.name, row.kind, show(row.median), range, ratio, ...extra, row.note ?? ""];
  });
  const head = [
    "contender",
    "kind",
    `median (${unit})`,
    "min–max",
    "time ÷ threadkit",
    ...counts.map((k) => k.head),
    "note",
  ];
  const last = head.length - 2; // the right-aligned columns are 2..last
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i >= 2 && i <= last ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  out.push(
    line(head),
    `|${widths.map((w, i) => (i >= 2 && i <= last ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`,
  );
  for (const row of rows) out.push(line(row));
  out.push("");
  for (const t of r.targets) {
    const mark = t.ok === null ? "n/a " : t.ok ? "MET " : "MISS";
    out.push(`- [${mark}] ${t.text}: ${t.detail}`);
  }
  for (const n of r.notes) out.push(`- note: ${n}`);
  if (r.targets.length || r.notes.length) out.push("");
  return out.join("\n");
}

/** A count's median as its column shows it: a time, a count per operation, or a count per sample. */
function fmtCount(k: Count, v: number): string {
  if (!Number.isFinite(v)) return "—";
  if (k.per === "ns") return v === 0 ? "0" : fmtNs(v);
  if (k.per === "ratio") return v.toFixed(2);
  if (k.per === "op") return v === 0 ? "0" : v >= 0.01 ? v.toFixed(3) : v.toExponential(1);
  return v >= 1e4 ? v.toPrecision(3) : String(Math.round(v));
}

export function environment() {
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "unknown",
    memory: os.totalmem(),
    command: `node ${process.execArgv.join(" ")} ${process.argv.slice(1).join(" ")}`.replace(/\s+/g, " "),
  };
}

export function writeJson(path: string, data: unknown): void {
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}
