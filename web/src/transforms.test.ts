import { describe, expect, it } from 'vitest';
import type { Run, StatsRow } from './api';
import { compareVersions, mergeLiveRun, orderFacet, pivotSeries, runMatches, sumByGroup, topFailing } from './transforms';
import { emptyFilters } from './url';
import { journeyBars } from './views/sessions';
import { bucketFor } from './views/stats';

const tokens = { input: 0, output: 0, total: 0, cache_read: 0, cache_write: 0, reasoning: 0 };

function run(id: string, startSec: number, over: Partial<Run> = {}): Run {
  const start = new Date(startSec * 1000).toISOString();
  return {
    run_id: id, name: `run ${id}`, agent_id: 'planner', agent_version: '1.0', environment: 'prod',
    session_id: '', user_id: '', service_name: '', start_time: start,
    start_unix_nano: (BigInt(startSec) * 1_000_000_000n).toString(), end_time: null, end_unix_nano: null,
    duration_ms: 1000, status: 'ok', failure: null, step_count: 1, llm_count: 0, tool_count: 0, retry_count: 0,
    error_count: 0, agent_count: 1, tokens, cost_usd: 0, models: [], tags: [], metadata: {}, updated_time: null,
    updated_unix_nano: null, ...over,
  };
}

function row(group: string, bucketSec: number | null, over: Partial<StatsRow> = {}): StatsRow {
  return {
    group, bucket_start: bucketSec === null ? null : new Date(bucketSec * 1000).toISOString(),
    bucket_start_unix_nano: bucketSec === null ? null : (BigInt(bucketSec) * 1_000_000_000n).toString(),
    runs: 1, ok: 1, failed: 0, partial: 0, running: 0, success_rate: 1,
    latency_ms: { p50: 1, p95: 2, p99: 3 }, tokens, cost_usd: 0, ...over,
  };
}

describe('orderFacet', () => {
  const vals = [
    { value: 'ok', count: 10 },
    { value: 'failed', count: 3 },
    { value: 'partial', count: 3 },
    { value: 'running', count: 1 },
  ];
  it('sorts by count then name', () => {
    expect(orderFacet(vals, []).map((v) => v.value)).toEqual(['ok', 'failed', 'partial', 'running']);
  });
  it('puts selected values first, even when the server no longer counts them', () => {
    expect(orderFacet(vals, ['running', 'abandoned']).map((v) => [v.value, v.count])).toEqual([
      ['running', 1], ['abandoned', 0], ['ok', 10], ['failed', 3], ['partial', 3],
    ]);
  });
  it('caps the list but never drops a selected value', () => {
    expect(orderFacet(vals, ['running'], 2).map((v) => v.value)).toEqual(['running', 'ok']);
  });
});

describe('runMatches', () => {
  const f = emptyFilters();
  it('matches everything without filters', () => expect(runMatches(run('a', 1), f)).toBe(true));
  it('applies multi-valued filters', () => {
    expect(runMatches(run('a', 1, { status: 'failed' }), { ...f, status: ['failed', 'partial'] })).toBe(true);
    expect(runMatches(run('a', 1), { ...f, status: ['failed'] })).toBe(false);
    expect(runMatches(run('a', 1), { ...f, agent: ['other'] })).toBe(false);
    expect(runMatches(run('a', 1, { models: ['gpt-4o'] }), { ...f, model: ['gpt-4o'] })).toBe(true);
  });
  it('requires all tags', () => {
    expect(runMatches(run('a', 1, { tags: ['beta'] }), { ...f, tag: ['beta', 'eu'] })).toBe(false);
    expect(runMatches(run('a', 1, { tags: ['eu', 'beta'] }), { ...f, tag: ['beta', 'eu'] })).toBe(true);
  });
  it('checks failure type and code', () => {
    const failed = run('a', 1, { status: 'failed', failure: { type: 'tool', code: 'timeout', message: 'search timed out', step_id: '', source: '', error_type: '', recovered: false, time: null } });
    expect(runMatches(failed, { ...f, failure_code: ['timeout'] })).toBe(true);
    expect(runMatches(failed, { ...f, failure_type: ['model'] })).toBe(false);
    expect(runMatches(run('b', 1), { ...f, failure_code: ['timeout'] })).toBe(false);
    expect(runMatches(failed, { ...f, q: 'TIMED OUT' })).toBe(true);
    expect(runMatches(failed, { ...f, q: 'nothing like it' })).toBe(false);
  });
  it('excludes runs after an explicit end of range', () => {
    expect(runMatches(run('a', 2_000_000_000), { ...f, to: '2026-01-01' })).toBe(false);
    expect(runMatches(run('a', 1_700_000_000), { ...f, to: '2026-01-01' })).toBe(true);
  });
});

describe('mergeLiveRun', () => {
  const list = [run('c', 30), run('b', 20), run('a', 10)];
  it('puts a new newest run on top', () => {
    const { runs, isNew } = mergeLiveRun(list, run('d', 40));
    expect(isNew).toBe(true);
    expect(runs.map((r) => r.run_id)).toEqual(['d', 'c', 'b', 'a']);
  });
  it('inserts a late run at its start-time position', () => {
    expect(mergeLiveRun(list, run('x', 15)).runs.map((r) => r.run_id)).toEqual(['c', 'b', 'x', 'a']);
  });
  it('updates a known run in place', () => {
    const { runs, isNew } = mergeLiveRun(list, run('b', 20, { status: 'failed' }));
    expect(isNew).toBe(false);
    expect(runs.map((r) => r.run_id)).toEqual(['c', 'b', 'a']);
    expect(runs[1].status).toBe('failed');
    expect(list[1].status).toBe('ok');  // input untouched
  });
  it('uses nanosecond strings beyond double precision', () => {
    const base = [run('a', 0, { start_unix_nano: '1795309323123456789' })];
    const later = run('b', 0, { start_unix_nano: '1795309323123456790' });
    expect(mergeLiveRun(base, later).runs.map((r) => r.run_id)).toEqual(['b', 'a']);
  });
});

describe('pivotSeries', () => {
  it('builds one series per group on a shared, sorted x axis with gaps as null', () => {
    const s = pivotSeries([row('a', 200, { runs: 5 }), row('a', 100, { runs: 2 }), row('b', 200, { runs: 1 })], (r) => r.runs);
    expect(s.labels).toEqual(['a', 'b']);
    expect(s.data).toEqual([[100, 200], [2, 5], [null, 1]]);
  });
  it('folds groups beyond the limit into "other", ranked by runs', () => {
    const rows = [row('big', 0, { runs: 9 }), row('mid', 0, { runs: 5 }), row('s1', 0, { runs: 1 }), row('s2', 0, { runs: 2 })];
    const s = pivotSeries(rows, (r) => r.runs, 2);
    expect(s.labels).toEqual(['big', 'mid', 'other']);
    expect(s.data[3]).toEqual([3]);
  });
  it('fills buckets without rows with 0 for additive metrics', () => {
    const s = pivotSeries([row('a', 100, { runs: 2 }), row('b', 200, { runs: 1 })], (r) => r.runs, 6, true);
    expect(s.data).toEqual([[100, 200], [2, 0], [0, 1]]);
  });
  it('labels the empty group', () => expect(pivotSeries([row('', 0)], (r) => r.runs).labels).toEqual(['(none)']));
});

describe('failure and stats helpers', () => {
  it('ranks failing steps by failures then rate', () => {
    const rows = [
      row('llm', null, { runs: 100, failed: 5 }),
      row('execute_tool search', null, { runs: 10, failed: 5 }),
      row('fine', null, { runs: 50, failed: 0 }),
    ];
    const top = topFailing(rows);
    expect(top.map((t) => t.group)).toEqual(['execute_tool search', 'llm']);
    expect(top[0].rate).toBeCloseTo(0.5);
  });
  it('sums groups across buckets', () => {
    const m = sumByGroup([row('a', 1, { runs: 2, failed: 1, cost_usd: 0.5 }), row('a', 2, { runs: 3, cost_usd: 0.25 })]);
    expect(m.get('a')).toEqual({ runs: 5, failed: 1, cost: 0.75, tokens: 0 });
  });
  it('compares two versions with relative change', () => {
    const a = row('', null, { runs: 100, success_rate: 0.8, latency_ms: { p50: 1000, p95: 2000, p99: 3000 }, cost_usd: 10 });
    const b = row('', null, { runs: 50, success_rate: 0.9, latency_ms: { p50: 500, p95: 2000, p99: 3000 }, cost_usd: 10 });
    const rows = compareVersions(a, b);
    const get = (m: string) => rows.find((r) => r.metric === m)!;
    expect(get('success rate').delta).toBeCloseTo(0.125);
    expect(get('latency p50').delta).toBeCloseTo(-0.5);
    expect(get('cost per run (USD)').a).toBeCloseTo(0.1);
    expect(get('cost per run (USD)').b).toBeCloseTo(0.2);
    expect(compareVersions(a, undefined)[0]).toMatchObject({ b: null, delta: null });
    expect(get('runs').higherIsBetter).toBeNull();
    expect(get('failed').higherIsBetter).toBe(false);
  });
  it('picks a bucket width from the time range', () => {
    expect(bucketFor('15m')).toBe('1m');
    expect(bucketFor('24h')).toBe('1h');
    expect(bucketFor('7d')).toBe('6h');
    expect(bucketFor('30d')).toBe('1d');
    expect(bucketFor('')).toBe('1d');
  });
});

describe('journeyBars', () => {
  it('places runs on the session span', () => {
    const bars = journeyBars([run('a', 0, { duration_ms: 1000 }), run('b', 3, { duration_ms: 1000 })]);
    expect(bars[0].left).toBe(0);
    expect(bars[0].width).toBeCloseTo(25);
    expect(bars[1].left).toBeCloseTo(75);
    expect(bars[1].width).toBeCloseTo(25);
  });
  it('handles missing times and open runs', () => {
    expect(journeyBars([run('a', 0, { start_time: null })])).toEqual([]);
    const bars = journeyBars([run('a', 0, { duration_ms: null })]);
    expect(bars[0].width).toBeGreaterThan(0);
  });
});
