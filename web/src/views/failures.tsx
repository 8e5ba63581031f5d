// Failures: breakdown by type and code over time, the steps and tools that fail most, and links
// to example runs (the runs view, filtered).
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { EmptyState, ErrorState, Loading, useFetch } from '../components';
import { formatCount, formatPercent } from '../format';
import { pivotSeries, sumByGroup, topFailing } from '../transforms';
import { buildHash, filtersFromQuery, filtersToQuery, type Filters } from '../url';
import { TimeChart } from './chart';
import { TimeRange } from './runs';
import { bucketFor } from './stats';

function runsLink(f: Filters, extra: Partial<Record<'failure_type' | 'failure_code' | 'q', string>>): string {
  const q = filtersToQuery(f);
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  return buildHash(['runs'], q);
}

export function FailuresView(props: { query: URLSearchParams }) {
  const f = useMemo(() => {
    const x = filtersFromQuery(props.query);
    if (!props.query.has('since') && !x.from && !x.to) x.since = '7d';
    return x;
  }, [props.query.toString()]);
  const [dim, setDim] = useState<'failure_type' | 'failure_code'>('failure_type');
  const base = filtersToQuery(f);
  const bucket = bucketFor(f.since);

  const byDim = useFetch(`fail:${dim}:${base}`, (signal) => {
    const q = new URLSearchParams(base);
    q.set('group_by', dim);
    q.set('bucket', bucket);
    return api.stats(q, signal);
  });
  const bySteps = useFetch(`failsteps:${base}`, (signal) => {
    const q = new URLSearchParams(base);
    q.set('group_by', 'step_name');
    return api.stats(q, signal);
  });
  // Tool steps by their tool name (whatever the span is called).
  const byTools = useFetch(`failtools:${base}`, (signal) => {
    const q = new URLSearchParams(base);
    q.set('group_by', 'tool_name');
    return api.stats(q, signal);
  });

  const setF = (nf: Filters) => (location.hash = buildHash(['failures'], filtersToQuery(nf)));
  const series = useMemo(() => (byDim.data ? pivotSeries(byDim.data.rows, (r) => r.runs, 6, true) : undefined), [byDim.data]);
  const totals = useMemo(() => (byDim.data ? [...sumByGroup(byDim.data.rows).entries()].sort((a, b) => b[1].runs - a[1].runs) : []), [byDim.data]);
  const steps = useMemo(() => (bySteps.data ? topFailing(bySteps.data.rows, 200) : []), [bySteps.data]);
  const tools = useMemo(() => (byTools.data ? topFailing(byTools.data.rows, 15) : []), [byTools.data]);
  const stepRows = steps.slice(0, 20);

  return (
    <div class="failures-view" data-testid="failures-view">
      <div class="toolbar">
        <h1>Failures</h1>
        <TimeRange f={f} onChange={setF} />
        <span class="spacer" />
        <label>
          Break down by{' '}
          <select value={dim} onChange={(e) => setDim((e.target as HTMLSelectElement).value as typeof dim)} aria-label="Break down by">
            <option value="failure_type">failure type</option>
            <option value="failure_code">failure code</option>
          </select>
        </label>
      </div>
      {byDim.error ? (
        <ErrorState error={byDim.error} onRetry={byDim.reload} />
      ) : !byDim.data ? (
        <Loading what="failures" />
      ) : byDim.data.rows.length === 0 ? (
        <EmptyState title="No failed runs in this time range.">
          Runs whose outcome was caused by a failure are counted here. Try a longer time range, or look at{' '}
          <a href={buildHash(['runs'], filtersToQuery(f))}>all runs</a>.
        </EmptyState>
      ) : (
        <div class="grid2">
          {series && <TimeChart series={series} title={`Runs with a failure, per ${bucket}, by ${dim.replace('_', ' ')}`} bucket={bucket} />}
          <table class="compact">
            <thead>
              <tr>
                <th>{dim === 'failure_type' ? 'Type' : 'Code'}</th>
                <th class="num">Runs</th>
                <th class="num">of which failed</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {totals.map(([group, t]) => (
                <tr data-testid="failure-type-row" data-type={group}>
                  <td class="mono">{group || '(none)'}</td>
                  <td class="num">{formatCount(t.runs)}</td>
                  <td class="num">{formatCount(t.failed)}</td>
                  <td>
                    <a href={runsLink(f, { [dim]: group })}>example runs →</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="grid2">
        <section>
          <h2>Steps that fail most</h2>
          {bySteps.error ? (
            <ErrorState error={bySteps.error} onRetry={bySteps.reload} />
          ) : !bySteps.data ? (
            <Loading what="steps" />
          ) : stepRows.length === 0 ? (
            <EmptyState title="No step failed in this time range." />
          ) : (
            <table class="compact">
              <thead>
                <tr>
                  <th>Step name</th>
                  <th class="num">Failures</th>
                  <th class="num">Calls</th>
                  <th class="num">Failure rate</th>
                </tr>
              </thead>
              <tbody>
                {stepRows.map((s) => (
                  <tr data-testid="failing-step-row">
                    <td>
                      <a href={runsLink(f, { q: s.group })} title="Runs containing this step">{s.group}</a>
                    </td>
                    <td class="num">{formatCount(s.failed)}</td>
                    <td class="num">{formatCount(s.total)}</td>
                    <td class="num">{formatPercent(s.rate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section>
          <h2>Tools that fail most</h2>
          {byTools.error ? (
            <ErrorState error={byTools.error} />
          ) : byTools.data && tools.length === 0 ? (
            <EmptyState title="No tool call failed in this time range." />
          ) : (
            <table class="compact">
              <thead>
                <tr>
                  <th>Tool</th>
                  <th class="num">Failures</th>
                  <th class="num">Calls</th>
                  <th class="num">Failure rate</th>
                </tr>
              </thead>
              <tbody>
                {tools.map((s) => (
                  <tr data-testid="failing-tool-row" data-tool={s.group}>
                    <td class="mono">
                      {s.group ? <a href={runsLink(f, { q: s.group })}>{s.group}</a> : <span class="muted">(unnamed tool)</span>}
                    </td>
                    <td class="num">{formatCount(s.failed)}</td>
                    <td class="num">{formatCount(s.total)}</td>
                    <td class="num">{formatPercent(s.rate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </div>
  );
}
