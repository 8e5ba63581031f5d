// Data shaping for views (facets, live merges, chart series). Pure, unit-tested.
import type { FacetValue, Run, StatsRow } from './api';
import type { Filters } from './url';

/** Facet values for display: selected ones first (even at count 0), then by count, then name. */
export function orderFacet(values: FacetValue[], selected: string[], max = 12): FacetValue[] {
  const byValue = new Map(values.map((v) => [v.value, v]));
  const sel = selected.map((s) => byValue.get(s) ?? { value: s, count: 0 });
  const rest = values
    .filter((v) => !selected.includes(v.value))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  return [...sel, ...rest.slice(0, Math.max(0, max - sel.length))];
}

function includesCI(hay: string, needle: string): boolean {
  return hay.toLowerCase().includes(needle.toLowerCase());
}

/**
 * Whether a live run update belongs in the current list. Checks what the run summary carries;
 * `q` matches run name, agent and failure message (step names are only known to the server,
 * so a live run that matches by step name alone appears at the next refresh).
 */
export function runMatches(run: Run, f: Filters, nowMs: number = Date.now()): boolean {
  const inList = (vals: string[], v: string) => vals.length === 0 || vals.includes(v);
  if (!inList(f.status, run.status)) return false;
  if (!inList(f.agent, run.agent_id)) return false;
  if (!inList(f.version, run.agent_version)) return false;
  if (!inList(f.environment, run.environment)) return false;
  if (f.failure_type.length && !(run.failure && f.failure_type.includes(run.failure.type))) return false;
  if (f.failure_code.length && !(run.failure && f.failure_code.includes(run.failure.code))) return false;
  if (f.model.length && !run.models.some((m) => f.model.includes(m))) return false;
  if (f.tag.length && !f.tag.every((t) => run.tags.includes(t))) return false;
  if (f.session && run.session_id !== f.session) return false;
  if (f.user && run.user_id !== f.user) return false;
  if (f.q) {
    const hay = [run.name, run.agent_id, run.failure?.message ?? ''];
    if (!hay.some((h) => includesCI(h, f.q))) return false;
  }
  // Time windows: a live update is a recent run, so only `to` in the past can exclude it.
  if (f.to && run.start_time) {
    const to = Date.parse(f.to);
    if (!Number.isNaN(to) && Date.parse(run.start_time) >= to) return false;
  }
  if (f.from && run.start_time) {
    const from = /^\d+$/.test(f.from) ? Number(f.from) : Date.parse(f.from);
    if (!Number.isNaN(from) && Date.parse(run.start_time) < from) return false;
  }
  void nowMs;
  return true;
}

function startNs(r: Run): bigint {
  try {
    return BigInt(r.start_unix_nano ?? '0');
  } catch {
    return 0n;
  }
}

/**
 * Applies a live update to a newest-first list: replaces the run in place when present, else
 * inserts it at its start-time position (new runs land on top). `isNew` tells the caller to
 * bump the total.
 */
export function mergeLiveRun(runs: Run[], run: Run): { runs: Run[]; isNew: boolean } {
  const i = runs.findIndex((r) => r.run_id === run.run_id);
  if (i >= 0) {
    const next = runs.slice();
    next[i] = run;
    return { runs: next, isNew: false };
  }
  const s = startNs(run);
  let pos = runs.findIndex((r) => startNs(r) < s);
  if (pos < 0) pos = runs.length;
  const next = runs.slice();
  next.splice(pos, 0, run);
  return { runs: next, isNew: true };
}

/** uPlot's column layout: x (unix seconds) then one y array per series (null = no data). */
export interface Series {
  labels: string[];
  data: [number[], ...(number | null)[][]];
}

/**
 * Pivots bucketed stats rows into chart series, one per group; groups beyond `maxSeries`
 * (ranked by total runs) are summed into "other". `fillZero` for additive metrics (counts, cost).
 */
export function pivotSeries(rows: StatsRow[], metric: (r: StatsRow) => number, maxSeries = 6, fillZero = false): Series {
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.group, (totals.get(r.group) ?? 0) + r.runs);
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map((e) => e[0]);
  const keep = ranked.slice(0, maxSeries);
  const hasOther = ranked.length > maxSeries;
  const labels = [...keep.map((g) => g || '(none)'), ...(hasOther ? ['other'] : [])];
  const xs = [...new Set(rows.map((r) => bucketSeconds(r)))].sort((a, b) => a - b);
  const xi = new Map(xs.map((x, i) => [x, i]));
  // Counts are 0 in a bucket without rows; rates and latencies are unknown there (a gap).
  const ys: (number | null)[][] = labels.map(() => xs.map(() => (fillZero ? 0 : null)));
  for (const r of rows) {
    let si = keep.indexOf(r.group);
    if (si < 0) si = keep.length;  // "other"
    const col = xi.get(bucketSeconds(r))!;
    ys[si][col] = (ys[si][col] ?? 0) + metric(r);
  }
  return { labels, data: [xs, ...ys] };
}

export function bucketSeconds(r: StatsRow): number {
  if (r.bucket_start_unix_nano) return Number(BigInt(r.bucket_start_unix_nano) / 1_000_000_000n);
  if (r.bucket_start) return Math.floor(Date.parse(r.bucket_start) / 1000);
  return 0;
}

/** Step-level stats rows that failed at least once, worst first (by failures, then rate). */
export function topFailing(rows: StatsRow[], max = 20): { group: string; failed: number; total: number; rate: number }[] {
  return rows
    .filter((r) => r.failed > 0)
    .map((r) => ({ group: r.group, failed: r.failed, total: r.runs, rate: r.runs > 0 ? r.failed / r.runs : 0 }))
    .sort((a, b) => b.failed - a.failed || b.rate - a.rate || a.group.localeCompare(b.group))
    .slice(0, max);
}

/** Totals per group over all buckets (for tables next to charts). */
export function sumByGroup(rows: StatsRow[]): Map<string, { runs: number; failed: number; cost: number; tokens: number }> {
  const out = new Map<string, { runs: number; failed: number; cost: number; tokens: number }>();
  for (const r of rows) {
    const a = out.get(r.group) ?? { runs: 0, failed: 0, cost: 0, tokens: 0 };
    a.runs += r.runs;
    a.failed += r.failed;
    a.cost += r.cost_usd;
    a.tokens += r.tokens.total;
    out.set(r.group, a);
  }
  return out;
}

export interface CompareRow {
  metric: string;
  a: number | null;
  b: number | null;
  /** b relative to a (0.1 = +10%); null when a is 0 or missing. */
  delta: number | null;
  /** Whether a higher value is better for this metric (colours the delta); null = neutral. */
  higherIsBetter: boolean | null;
}

/** Side-by-side metrics of two versions from ungrouped stats rows (one row each, or none). */
export function compareVersions(a: StatsRow | undefined, b: StatsRow | undefined): CompareRow[] {
  const m = (
    metric: string,
    get: (r: StatsRow) => number,
    higherIsBetter: boolean | null,
  ): CompareRow => {
    const va = a ? get(a) : null;
    const vb = b ? get(b) : null;
    const delta = va !== null && vb !== null && va !== 0 ? (vb - va) / Math.abs(va) : null;
    return { metric, a: va, b: vb, delta, higherIsBetter };
  };
  const perRun = (f: (r: StatsRow) => number) => (r: StatsRow) => (r.runs > 0 ? f(r) / r.runs : 0);
  return [
    m('runs', (r) => r.runs, null),
    m('success rate', (r) => r.success_rate, true),
    m('failed', (r) => r.failed, false),
    m('latency p50', (r) => r.latency_ms.p50, false),
    m('latency p95', (r) => r.latency_ms.p95, false),
    m('latency p99', (r) => r.latency_ms.p99, false),
    m('tokens per run', perRun((r) => r.tokens.total), false),
    m('cost per run (USD)', perRun((r) => r.cost_usd), false),
  ];
}
