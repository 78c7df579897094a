/**
 * The renderer: a recording as one self-contained HTML page (inline CSS, SVG and a few lines of script, no
 * network). A lane per thread; on it, spans for waiting (a call that queued, from its start to its end)
 * and for holding (a lock or a permit, from the acquire that got it to its release); an arrow from each
 * hand-off (the release, notify, set, put... that woke a waiter) to the end of the wait it ended; a tick
 * for each point event. Hovering any of them shows its details.
 */
import type { RecordedCall, Recording } from "./recorder.ts";

/** A drawn span: a wait or a hold, on a lane. */
export interface Span {
  lane: number;
  from: number;
  to: number;
  kind: "wait" | "hold";
  /** Holds that overlap on a lane are drawn one under the other: 0, 1, 2... */
  row: number;
  label: string;
  detail: string;
}

/** A drawn hand-off: from the releaser's lane and time to the end of the wait it ended. */
export interface Arrow {
  from: { lane: number; t: number };
  to: { lane: number; t: number };
  detail: string;
}

/** A drawn point event (release, notify, set...). */
export interface Tick {
  lane: number;
  t: number;
  label: string;
  detail: string;
}

/** What a recording draws as: lanes (threads by name), spans, arrows and ticks. */
export interface Timeline {
  lanes: string[];
  spans: Span[];
  arrows: Arrow[];
  ticks: Tick[];
  start: number;
  end: number;
}

const HOLDS = new Set(["lock", "rlock", "semaphore"]);

const what = (m: { kind: string; id: string; name: string | undefined }): string =>
  m.name === undefined ? `${m.kind} ${m.id}` : `${m.kind} "${m.name}" (${m.id})`;

/** Lays a recording out (no drawing): which lanes, spans, arrows and ticks it has. */
export function layout(rec: Recording): Timeline {
  const lanes: string[] = [];
  const laneKeys = new Map<string, number>();
  const laneOf = (thread: { id: number; name: string }): number => {
    const key = `${thread.id}\u0000${thread.name}`;
    let i = laneKeys.get(key);
    if (i === undefined) {
      i = lanes.length;
      laneKeys.set(key, i);
      lanes.push(
        thread.id === 0 || thread.name.startsWith("worker ")
          ? thread.name
          : `${thread.name} (thread ${thread.id})`,
      );
    }
    return i;
  };
  const spans: Span[] = [];
  const arrows: Arrow[] = [];
  const ticks: Tick[] = [];

  // Calls, by OS thread and call number: when each started, queued and ended.
  interface Call {
    m: RecordedCall;
    lane: number;
    start: number;
    end: number;
  }
  const calls = new Map<string, Call>();
  const ended: Call[] = [];
  for (const e of rec.events) {
    if (e.type !== "call") continue;
    const key = `${e.m.thread.id}:${e.m.call}`;
    let c = calls.get(key);
    if (c === undefined) {
      c = { m: e.m, lane: laneOf(e.m.thread), start: e.t, end: Number.NaN };
      calls.set(key, c);
    }
    if (e.phase === "end") {
      c.m = e.m;
      c.end = e.t;
      ended.push(c);
    } else if (e.phase === "queued") c.m = e.m;
  }
  for (const c of ended) {
    if (!c.m.queued) continue;
    spans.push({
      lane: c.lane,
      from: c.start,
      to: c.end,
      kind: "wait",
      row: 0,
      label: `${c.m.op} ${c.m.name ?? c.m.id}`,
      detail:
        `${c.m.thread.name} waits: ${c.m.op} on ${what(c.m)}\n${ms(c.end - c.start)}, ${c.m.outcome ?? "?"}` +
        (c.m.timeout === Number.POSITIVE_INFINITY ? "" : `, timeout ${c.m.timeout} ms`),
    });
  }

  // Holds: from an acquire that got it to the release, per primitive; hand-offs: to the wait they ended.
  const held = new Map<string, { lane: number; t: number; m: RecordedCall | undefined }[]>();
  for (const e of rec.events) {
    if (e.type === "call") {
      if (e.phase !== "end") continue;
      const lane = laneOf(e.m.thread);
      if (HOLDS.has(e.m.kind) && e.m.op === "acquire" && e.m.outcome === "granted") {
        const list = held.get(e.m.id) ?? [];
        list.push({ lane, t: e.t, m: e.m });
        held.set(e.m.id, list);
      }
      continue;
    }
    const m = e.m;
    const lane = laneOf(m.thread);
    if (m.event === "handoff" && "to" in m) {
      const to = (m as { to: { thread: number; call: number; cell: number } }).to;
      const waiter = findWaiter(ended, m.id, to, e.t);
      if (waiter !== undefined) {
        arrows.push({
          from: { lane, t: e.t },
          to: { lane: waiter.lane, t: waiter.end },
          detail: `${m.thread.name} hands ${what(m)} to ${waiter.m.thread.name} (its ${waiter.m.op})`,
        });
      }
      continue;
    }
    ticks.push({
      lane,
      t: e.t,
      label: m.event,
      detail: `${m.thread.name}: ${m.event} ${what(m)}${m.n === 1 ? "" : ` (n=${m.n})`}`,
    });
    if (m.event === "release" && HOLDS.has(m.kind)) {
      const list = held.get(m.id) ?? [];
      let i = list.findIndex((h) => h.lane === lane);
      if (i < 0 && m.kind === "lock") i = 0; // any thread may release a Lock
      const h = i >= 0 ? list.splice(i, 1)[0] : undefined;
      // A hold that began inside a wait (a Condition's waiter handed its lock back): from that wait's end.
      const from = h?.t ?? findLastEnd(ended, lane, e.t);
      if (from !== undefined) {
        spans.push({
          lane: h?.lane ?? lane,
          from,
          to: e.t,
          kind: "hold",
          row: 0,
          label: `holds ${m.name ?? m.id}`,
          detail: `${h === undefined ? m.thread.name : (h.m?.thread.name ?? m.thread.name)} holds ${what(m)}\n${ms(e.t - from)}`,
        });
      }
    }
  }
  stack(spans);
  return { lanes, spans, arrows, ticks, start: rec.start, end: rec.end };
}

/** Gives each hold the first row where it overlaps no other hold of its lane. */
function stack(spans: Span[]): void {
  const holds = spans.filter((s) => s.kind === "hold").sort((a, b) => a.from - b.from);
  const busy = new Map<number, number[]>(); // lane -> per row, when its last hold ends
  for (const h of holds) {
    const rows = busy.get(h.lane) ?? [];
    let row = rows.findIndex((end) => end <= h.from);
    if (row < 0) row = rows.length;
    rows[row] = h.to;
    busy.set(h.lane, rows);
    h.row = Math.min(row, 2);
  }
}

/** The wait a hand-off ended: same OS thread and call (one event loop), else the same cell and thread. */
function findWaiter(
  ended: readonly { m: RecordedCall; lane: number; start: number; end: number }[],
  id: string,
  to: { thread: number; call: number; cell: number },
  t: number,
): { m: RecordedCall; lane: number; end: number } | undefined {
  if (to.call >= 0) return ended.find((c) => c.m.thread.id === to.thread && c.m.call === to.call);
  let best: { m: RecordedCall; lane: number; start: number; end: number } | undefined;
  for (const c of ended) {
    if (c.m.thread.id !== to.thread || !c.m.queued || c.start > t || c.end < t - 1) continue;
    const exact = c.m.id === id && c.m.cell === to.cell;
    if (exact) return c;
    best ??= c; // moved from a Condition onto its lock: the Condition's wait
  }
  return best;
}

function findLastEnd(
  ended: readonly { lane: number; end: number }[],
  lane: number,
  t: number,
): number | undefined {
  let last: number | undefined;
  for (const c of ended)
    if (c.lane === lane && c.end <= t && (last === undefined || c.end > last)) last = c.end;
  return last;
}

function ms(d: number): string {
  return d < 1 ? `${(d * 1000).toFixed(0)} µs` : `${d.toFixed(d < 10 ? 2 : 1)} ms`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const LANE = 52;
const LEFT = 170;
const WIDTH = 1100;
const TOP = 36;

/**
 * Renders a recording as one self-contained HTML page.
 * @example
 * ```ts
 * writeFileSync("timeline.html", render(recorder.stop()));
 * ```
 */
export function render(rec: Recording, title = "threadkit timeline"): string {
  const tl = layout(rec);
  const span = Math.max(tl.end - tl.start, 1e-3);
  const x = (t: number): number => LEFT + ((t - tl.start) / span) * (WIDTH - LEFT - 20);
  const y = (lane: number): number => TOP + lane * LANE;
  const height = TOP + tl.lanes.length * LANE + 30;
  const out: string[] = [];
  tl.lanes.forEach((name, i) => {
    out.push(
      `<g class="lane" data-name="${esc(name)}"><rect class="lane-bg" x="0" y="${y(i)}" width="${WIDTH}" height="${LANE}"/>` +
        `<text class="lane-name" x="8" y="${y(i) + LANE / 2 + 4}">${esc(name)}</text></g>`,
    );
  });
  for (const s of tl.spans) {
    const x0 = x(s.from);
    const w = Math.max(x(s.to) - x0, 2);
    const top = s.kind === "wait" ? y(s.lane) + 6 : y(s.lane) + 22 + s.row * 9;
    out.push(
      `<rect class="span ${s.kind}" x="${x0.toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${s.kind === "wait" ? 12 : 7}" rx="2" data-detail="${esc(s.detail)}"><title>${esc(s.detail)}</title></rect>`,
    );
  }
  for (const k of tl.ticks) {
    const x0 = x(k.t);
    out.push(
      `<line class="tick ${k.label}" x1="${x0.toFixed(1)}" x2="${x0.toFixed(1)}" y1="${y(k.lane) + 4}" y2="${y(k.lane) + LANE - 4}" data-detail="${esc(k.detail)}"><title>${esc(k.detail)}</title></line>`,
    );
  }
  for (const a of tl.arrows) {
    const x1 = x(a.from.t);
    const x2 = x(a.to.t);
    const y1 = y(a.from.lane) + LANE / 2;
    const y2 = y(a.to.lane) + (a.to.lane > a.from.lane ? 6 : LANE - 6);
    out.push(
      `<path class="arrow" d="M${x1.toFixed(1)},${y1} C${(x1 + 30).toFixed(1)},${y1} ${(x2 - 30).toFixed(1)},${y2} ${x2.toFixed(1)},${y2}" marker-end="url(#head)" data-detail="${esc(a.detail)}"><title>${esc(a.detail)}</title></path>`,
    );
  }
  const axis: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const t = tl.start + (span * i) / 5;
    axis.push(`<text class="axis" x="${x(t).toFixed(1)}" y="${TOP - 10}">${esc(ms(t - tl.start))}</text>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:13px system-ui,sans-serif;margin:16px;color:#1d2733;background:#fff}
h1{font-size:16px;margin:0 0 4px}
p.legend span{display:inline-block;width:14px;height:10px;border-radius:2px;margin:0 4px 0 12px;vertical-align:middle}
svg{display:block;border:1px solid #d4dae1}
.lane-bg{fill:#f7f9fb;stroke:#e3e8ee}
.lane-name{font-weight:600;fill:#1d2733}
.axis{fill:#667;font-size:11px;text-anchor:middle}
.span.wait{fill:#f0a020}
.span.hold{fill:#2f7fd0}
.tick{stroke:#556;stroke-width:1.5}
.tick.notify,.tick.set{stroke:#2a9d4a}
.arrow{fill:none;stroke:#c0392b;stroke-width:1.6}
.span:hover,.arrow:hover,.tick:hover{stroke:#000;stroke-width:2}
#tip{position:fixed;pointer-events:none;background:#1d2733;color:#fff;padding:6px 8px;border-radius:4px;white-space:pre;font-size:12px;display:none}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="legend">${tl.lanes.length} threads, ${ms(tl.end - tl.start)}<span style="background:#f0a020"></span>waiting<span style="background:#2f7fd0"></span>holding<span style="background:#c0392b"></span>hand-off (who woke whom)<span style="background:#556"></span>release, notify, set</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">
<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#c0392b"/></marker></defs>
${axis.join("\n")}
${out.join("\n")}
</svg>
<div id="tip"></div>
<script>
const tip=document.getElementById("tip");
document.querySelector("svg").addEventListener("mousemove",(e)=>{const d=e.target.getAttribute&&e.target.getAttribute("data-detail");if(!d){tip.style.display="none";return}tip.textContent=d;tip.style.display="block";tip.style.left=e.clientX+12+"px";tip.style.top=e.clientY+12+"px"});
</script>
</body></html>
`;
}
