// Stats: success rate, tokens and cost over time by model/agent/version (uPlot), latency
// percentiles per step name, and a side-by-side comparison of two agent versions.
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { EmptyState, ErrorState, Loading, useFetch } from '../components';
import { formatCost, formatCount, formatDuration, formatPercent, formatTokens } from '../format';
import { compareVersions, pivotSeries } from '../transforms';
import { buildHash, filtersFromQuery, filtersToQuery, type Filters } from '../url';
import { TimeChart } from './chart';
import { TimeRange } from './runs';

/** A bucket width giving roughly 24–200 points for the time range. */
export function bucketFor(since: string): string {
  const m = /^(\d+)([mhdw])$/.exec(since);
  if (!m) return '1d';
  const n = Number(m[1]);
  const hours = m[2] === 'm' ? n / 60 : m[2] === 'h' ? n : m[2] === 'd' ? n * 24 : n * 168;
  if (hours <= 1) return '1m';
  if (hours <= 6) return '5m';
  if (hours <= 48) return '1h';
  if (hours <= 24 * 14) return '6h';
  return '1d';
}

type Dim = 'model' | 'agent' | 'version';
type Metric = 'cost' | 'tokens' | 'runs' | 'success';

const METRICS: Record<Metric, { label: string; fn: (r: import('../api').StatsRow) => number; fmt: (v: number) => string }> = {
  cost: { label: 'Cost (USD)', fn: (r) => r.cost_usd, fmt: formatCost },
  tokens: { label: 'Tokens', fn: (r) => r.tokens.total, fmt: formatTokens },
  runs: { label: 'Runs (steps for model)', fn: (r) => r.runs, fmt: formatCount },
  success: { label: 'Success rate', fn: (r) => r.success_rate, fmt: formatPercent },
};

function CompareVersions(props: { f: Filters }) {
  const agents = useFetch(`agents:${filtersToQuery({ ...props.f, version: [] })}`, (signal) =>
    api.agents(filtersToQuery({ ...props.f, version: [] }), signal),
  );
  const list = agents.data?.agents ?? [];
  const [agent, setAgent] = useState('');
  const chosen = list.find((a) => a.agent_id === agent) ?? list.find((a) => a.versions.length >= 2) ?? list[0];
  const versions = chosen?.versions ?? [];
  const [va, setVa] = useState('');
  const [vb, setVb] = useState('');
  const a = versions.includes(va) ? va : versions[versions.length - 2] ?? versions[0] ?? '';
  const b = versions.includes(vb) ? vb : versions[versions.length - 1] ?? '';
  const key = `cmp:${chosen?.agent_id}:${a}:${b}:${filtersToQuery(props.f)}`;
  const data = useFetch(key, async (signal) => {
    if (!chosen || !a || !b) return undefined;
    const one = (v: string) => {
      const q = filtersToQuery({ ...props.f, agent: [chosen.agent_id], version: [v] });
      return api.stats(q, signal).then((s) => s.rows[0]);
    };
    const [ra, rb] = await Promise.all([one(a), one(b)]);
    return compareVersions(ra, rb);
  });
  if (agents.error) return <ErrorState error={agents.error} onRetry={agents.reload} />;
  if (!agents.data) return <Loading what="agents" />;
  if (!chosen) return <EmptyState title="No agents in this time range, so there is nothing to compare." />;
  const fmtFor = (metric: string, v: number | null) => {
    if (v === null) return '—';
    if (metric.startsWith('success')) return formatPercent(v);
    if (metric.startsWith('latency')) return formatDuration(v);
    if (metric.startsWith('cost')) return formatCost(v);
    if (metric.startsWith('tokens')) return formatTokens(v);
    return formatCount(v);
  };
  return (
    <div data-testid="compare-versions">
      <div class="toolbar">
        <label>
          Agent{' '}
          <select value={chosen.agent_id} onChange={(e) => setAgent((e.target as HTMLSelectElement).value)}>
            {list.map((x) => (
              <option value={x.agent_id}>{x.agent_id || '(none)'}</option>
            ))}
          </select>
        </label>
        <label>
          Version A{' '}
          <select data-testid="compare-a" value={a} onChange={(e) => setVa((e.target as HTMLSelectElement).value)}>
            {versions.map((v) => (
              <option value={v}>{v || '(none)'}</option>
            ))}
          </select>
        </label>
        <label>
          Version B{' '}
          <select data-testid="compare-b" value={b} onChange={(e) => setVb((e.target as HTMLSelectElement).value)}>
            {versions.map((v) => (
              <option value={v}>{v || '(none)'}</option>
            ))}
          </select>
        </label>
      </div>
      {versions.length < 2 && (
        <p class="muted small">Agent {chosen.agent_id} has a single version in this range; pick another agent or widen the range.</p>
      )}
      {data.error ? (
        <ErrorState error={data.error} onRetry={data.reload} />
      ) : !data.data ? (
        <Loading what="comparison" />
      ) : (
        <table class="compact" data-testid="compare-table">
          <thead>
            <tr>
              <th>Metric</th>
              <th class="num">{a || '(none)'}</th>
              <th class="num">{b || '(none)'}</th>
              <th class="num">Change</th>
            </tr>
          </thead>
          <tbody>
            {data.data.map((row) => {
              const good = row.delta === null || row.delta === 0 || row.higherIsBetter === null ? '' : (row.delta > 0) === row.higherIsBetter ? 'better' : 'worse';
              return (
                <tr>
                  <td>{row.metric}</td>
                  <td class="num">{fmtFor(row.metric, row.a)}</td>
                  <td class="num">{fmtFor(row.metric, row.b)}</td>
                  <td class={`num ${good}`}>{row.delta === null ? '—' : `${row.delta > 0 ? '+' : ''}${(row.delta * 100).toFixed(1)}%`}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function StatsView(props: { query: URLSearchParams }) {
  const f = useMemo(() => {
    const x = filtersFromQuery(props.query);
    if (!props.query.has('since') && !x.from && !x.to) x.since = '7d';
    return x;
  }, [props.query.toString()]);
  const dim = (['model', 'agent', 'version'].includes(props.query.get('by') ?? '') ? props.query.get('by') : 'agent') as Dim;
  const metric = ((props.query.get('metric') ?? 'cost') in METRICS ? props.query.get('metric') ?? 'cost' : 'cost') as Metric;
  const base = filtersToQuery(f);
  const bucket = bucketFor(f.since);
  const setState = (nf: Filters, by: Dim, m: Metric) =>
    (location.hash = buildHash(['stats'], filtersToQuery(nf, { by: by === 'agent' ? '' : by, metric: m === 'cost' ? '' : m })));

  const overall = useFetch(`overall:${base}:${bucket}`, (signal) => {
    const q = new URLSearchParams(base);
    q.set('bucket', bucket);
    return api.stats(q, signal);
  });
  const byDim = useFetch(`dim:${dim}:${base}:${bucket}`, (signal) => {
    const q = new URLSearchParams(base);
    q.set('group_by', dim);
    q.set('bucket', bucket);
    return api.stats(q, signal);
  });
  const bySteps = useFetch(`steps:${base}`, (signal) => {
    const q = new URLSearchParams(base);
    q.set('group_by', 'step_name');
    return api.stats(q, signal);
  });

  const successSeries = useMemo(
    () => (overall.data ? pivotSeries(overall.data.rows.map((r) => ({ ...r, group: 'success rate' })), (r) => r.success_rate) : undefined),
    [overall.data],
  );
  const dimSeries = useMemo(() => (byDim.data ? pivotSeries(byDim.data.rows, METRICS[metric].fn, 6, metric !== 'success') : undefined), [byDim.data, metric]);
  const steps = useMemo(
    () => (bySteps.data ? bySteps.data.rows.slice().sort((x, y) => y.runs - x.runs).slice(0, 50) : []),
    [bySteps.data],
  );

  const totals = overall.data?.rows.reduce(
    (acc, r) => ({ runs: acc.runs + r.runs, ok: acc.ok + r.ok + r.partial, fin: acc.fin + r.ok + r.partial + r.failed, cost: acc.cost + r.cost_usd, tokens: acc.tokens + r.tokens.total }),
    { runs: 0, ok: 0, fin: 0, cost: 0, tokens: 0 },
  );

  return (
    <div class="stats-view" data-testid="stats-view">
      <div class="toolbar">
        <h1>Stats</h1>
        <TimeRange f={f} onChange={(nf) => setState(nf, dim, metric)} />
      </div>
      {overall.error ? (
        <ErrorState error={overall.error} onRetry={overall.reload} />
      ) : !overall.data ? (
        <Loading what="stats" />
      ) : overall.data.rows.length === 0 ? (
        <EmptyState title="No runs in this time range.">Widen the time range to see statistics.</EmptyState>
      ) : (
        <>
          {totals && (
            <div class="kpis">
              <div><span class="kpi">{formatCount(totals.runs)}</span> runs</div>
              <div><span class="kpi">{formatPercent(totals.fin ? totals.ok / totals.fin : 0)}</span> success</div>
              <div><span class="kpi">{formatTokens(totals.tokens)}</span> tokens</div>
              <div><span class="kpi">{formatCost(totals.cost)}</span> cost</div>
            </div>
          )}
          <div class="grid2">
            {successSeries && <TimeChart series={successSeries} title={`Success rate per ${bucket}`} format={formatPercent} bucket={bucket} />}
            <div>
              <div class="toolbar">
                <label>
                  Metric{' '}
                  <select value={metric} onChange={(e) => setState(f, dim, (e.target as HTMLSelectElement).value as Metric)}>
                    {Object.entries(METRICS).map(([k, m]) => (
                      <option value={k}>{m.label}</option>
                    ))}
                  </select>
                </label>
                <label>
                  by{' '}
                  <select value={dim} onChange={(e) => setState(f, (e.target as HTMLSelectElement).value as Dim, metric)}>
                    <option value="agent">agent</option>
                    <option value="version">version</option>
                    <option value="model">model</option>
                  </select>
                </label>
              </div>
              {byDim.error ? (
                <ErrorState error={byDim.error} onRetry={byDim.reload} />
              ) : dimSeries ? (
                <TimeChart series={dimSeries} title={`${METRICS[metric].label} per ${bucket} by ${dim}`} format={METRICS[metric].fmt} bucket={bucket} />
              ) : (
                <Loading />
              )}
            </div>
          </div>
        </>
      )}
      <h2>Latency by step name</h2>
      {bySteps.error ? (
        <ErrorState error={bySteps.error} onRetry={bySteps.reload} />
      ) : !bySteps.data ? (
        <Loading what="step latencies" />
      ) : steps.length === 0 ? (
        <EmptyState title="No steps in this time range." />
      ) : (
        <table class="compact">
          <thead>
            <tr>
              <th>Step name</th>
              <th class="num">Calls</th>
              <th class="num">Success</th>
              <th class="num">p50</th>
              <th class="num">p95</th>
              <th class="num">p99</th>
              <th class="num">Tokens</th>
              <th class="num">Cost</th>
            </tr>
          </thead>
          <tbody>
            {steps.map((r) => (
              <tr>
                <td>{r.group}</td>
                <td class="num">{formatCount(r.runs)}</td>
                <td class="num">{formatPercent(r.success_rate)}</td>
                <td class="num">{formatDuration(r.latency_ms.p50)}</td>
                <td class="num">{formatDuration(r.latency_ms.p95)}</td>
                <td class="num">{formatDuration(r.latency_ms.p99)}</td>
                <td class="num">{formatTokens(r.tokens.total)}</td>
                <td class="num">{formatCost(r.cost_usd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Compare two versions</h2>
      <CompareVersions f={f} />
    </div>
  );
}
