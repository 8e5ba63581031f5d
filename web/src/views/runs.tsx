// Runs: the dense, filterable, sortable run table with facets, cursor paging and live updates.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, subscribeLive, type Facets, type Run, type RunFinding } from '../api';
import { EmptyState, ErrorState, Loading, StatusBadge, useFetch, useRowKeys } from '../components';
import { formatCost, formatCount, formatDuration, formatTime, formatTimestampTitle, formatTokens, shortId } from '../format';
import { mergeLiveRun, orderFacet, runMatches } from '../transforms';
import {
  buildHash, clearKey, filtersFromQuery, filtersToQuery, hasAnyFilter, nextSort, parseSort, setSingle, toggleValue,
  type Filters, type MultiKey, type SingleKey, type Sort,
} from '../url';

const FACETS: { key: MultiKey; label: string }[] = [
  { key: 'status', label: 'Status' },
  { key: 'agent', label: 'Agent' },
  { key: 'version', label: 'Version' },
  { key: 'environment', label: 'Environment' },
  { key: 'failure_type', label: 'Failure type' },
  { key: 'failure_code', label: 'Failure code' },
  { key: 'model', label: 'Model' },
  { key: 'tag', label: 'Tag' },
];

export const TIME_RANGES = [
  { value: '', label: 'All time' },
  { value: '15m', label: 'Last 15 min' },
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 h' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
];

const PAGE = 100;

function go(f: Filters, sort: Sort) {
  location.hash = buildHash(['runs'], filtersToQuery(f, { sort: sort === 'start_desc' ? '' : sort }));
}

/** Text input that writes to the URL on Enter or after a pause. */
export function SearchBox(props: { value: string; onCommit: (v: string) => void; placeholder: string; testid: string }) {
  const [v, setV] = useState(props.value);
  useEffect(() => setV(props.value), [props.value]);
  const timer = useRef<number>();
  return (
    <input
      type="search"
      data-search
      data-testid={props.testid}
      class="search"
      placeholder={props.placeholder}
      aria-label={props.placeholder}
      value={v}
      maxLength={1000}
      onInput={(e) => {
        const val = (e.target as HTMLInputElement).value;
        setV(val);
        window.clearTimeout(timer.current);
        timer.current = window.setTimeout(() => props.onCommit(val), 400);
      }}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          window.clearTimeout(timer.current);
          props.onCommit(v);
        } else if (e.key === 'Escape') {
          (e.target as HTMLInputElement).blur();
        }
      }}
    />
  );
}

export function TimeRange(props: { f: Filters; onChange: (f: Filters) => void }) {
  const { f } = props;
  const custom = !!(f.from || f.to);
  return (
    <span class="time-range">
      <select
        aria-label="Time range"
        data-testid="time-range"
        value={custom ? 'custom' : f.since}
        onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          if (v === 'custom') props.onChange({ ...f, since: '', from: f.from || new Date(Date.now() - 86400e3).toISOString().slice(0, 10) });
          else props.onChange({ ...f, since: v, from: '', to: '' });
        }}
      >
        {TIME_RANGES.map((t) => (
          <option value={t.value}>{t.label}</option>
        ))}
        {!TIME_RANGES.some((t) => t.value === f.since) && !custom && <option value={f.since}>Last {f.since}</option>}
        <option value="custom">Custom range…</option>
      </select>
      {custom && (
        <>
          <input
            aria-label="From (RFC 3339 or date)"
            placeholder="from"
            class="date"
            value={f.from}
            onChange={(e) => props.onChange({ ...f, since: '', from: (e.target as HTMLInputElement).value.trim() })}
          />
          <input
            aria-label="To (RFC 3339 or date)"
            placeholder="to"
            class="date"
            value={f.to}
            onChange={(e) => props.onChange({ ...f, since: '', to: (e.target as HTMLInputElement).value.trim() })}
          />
        </>
      )}
    </span>
  );
}

function FilterChips(props: { f: Filters; onChange: (f: Filters) => void }) {
  const { f } = props;
  const chips: { key: MultiKey | SingleKey; label: string; value?: string }[] = [];
  for (const fc of FACETS) for (const v of f[fc.key]) chips.push({ key: fc.key, label: fc.key, value: v });
  for (const k of ['session', 'user', 'min_duration_ms', 'max_duration_ms', 'min_cost', 'max_cost'] as const) {
    if (f[k]) chips.push({ key: k, label: k, value: f[k] });
  }
  if (!chips.length) return null;
  return (
    <div class="chips" aria-label="Active filters">
      {chips.map((c) => (
        <button
          type="button"
          class="chip"
          title="Remove this filter"
          onClick={() => {
            const isMulti = FACETS.some((x) => x.key === c.key);
            props.onChange(isMulti ? toggleValue(f, c.key as MultiKey, c.value!) : clearKey(f, c.key));
          }}
        >
          {c.label}: {c.value} ✕
        </button>
      ))}
      <button type="button" class="chip chip-clear" onClick={() => props.onChange({ ...filtersFromQuery(new URLSearchParams()), since: f.since, from: f.from, to: f.to })}>
        Clear all
      </button>
    </div>
  );
}

function FacetPanel(props: { facets: Facets | undefined; error: unknown; f: Filters; onChange: (f: Filters) => void }) {
  const { facets, f } = props;
  if (props.error) return <aside class="facets"><p class="muted small">Facets unavailable: {(props.error as Error).message}</p></aside>;
  if (!facets) return <aside class="facets"><p class="muted small">Loading facets…</p></aside>;
  return (
    <aside class="facets" aria-label="Facets">
      {FACETS.map((fc) => {
        const vals = orderFacet(facets.facets[fc.key] ?? [], f[fc.key]);
        if (!vals.length) return null;
        return (
          <section class="facet-group">
            <h3>{fc.label}</h3>
            <ul>
              {vals.map((v) => {
                const on = f[fc.key].includes(v.value);
                return (
                  <li>
                    <button
                      type="button"
                      class={`facet${on ? ' on' : ''}`}
                      data-testid="facet"
                      data-facet={fc.key}
                      data-value={v.value}
                      aria-pressed={on}
                      onClick={() => props.onChange(toggleValue(f, fc.key, v.value))}
                    >
                      <span class="facet-name">
                        {fc.key === 'status' ? <StatusBadge status={v.value} /> : v.value || '(none)'}
                      </span>
                      <span class="facet-count">{formatCount(v.count)}</span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </section>
        );
      })}
      {facets.truncated && (
        <p class="muted small">Counts from the newest {formatCount(facets.scanned)} matching runs.</p>
      )}
    </aside>
  );
}

function SortHeader(props: { label: string; column: 'start' | 'duration' | 'cost' | 'tokens'; sort: Sort; onSort: (s: Sort) => void; class?: string }) {
  const active = props.sort.startsWith(props.column);
  const dir = props.sort.endsWith('asc') ? 'ascending' : 'descending';
  return (
    <th class={props.class} aria-sort={active ? dir : 'none'}>
      <button type="button" class="sort" data-testid={`sort-${props.column}`} onClick={() => props.onSort(nextSort(props.sort, props.column))}>
        {props.label}
        {active ? (dir === 'ascending' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
}

function runHref(id: string) {
  return buildHash(['runs', id]);
}

export function RunsView(props: { query: URLSearchParams }) {
  const f = useMemo(() => filtersFromQuery(props.query), [props.query.toString()]);
  const sort = parseSort(props.query.get('sort'));
  const apiQuery = filtersToQuery(f, { sort: sort === 'start_desc' ? '' : sort });
  const key = apiQuery.toString();
  const setF = (nf: Filters) => go(nf, sort);

  const [runs, setRuns] = useState<Run[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [findings, setFindings] = useState<Record<string, RunFinding[]>>({});
  const [more, setMore] = useState<{ loading: boolean; error?: unknown }>({ loading: false });
  const [liveState, setLiveState] = useState<'connecting' | 'live' | 'down'>('connecting');
  const [fresh, setFresh] = useState<Set<string>>(new Set());

  const fRef = useRef(f);
  fRef.current = f;
  const sortRef = useRef(sort);
  sortRef.current = sort;
  const first = useFetch(key, (signal) => {
    const q = new URLSearchParams(apiQuery);
    q.set('limit', String(PAGE));
    return api.runs(q, signal);
  });
  // Live updates that arrive while a first page is loading may be newer than the page's
  // snapshot; they are kept here and merged into the page when it lands.
  const sinceFetch = useRef(new Map<string, Run>());
  useEffect(() => sinceFetch.current.clear(), [key]);
  const loadingRef = useRef(true);
  loadingRef.current = first.loading;
  useEffect(() => {
    if (first.data) {
      let list = first.data.runs;
      let added = 0;
      for (const r of sinceFetch.current.values()) {
        const known = list.some((x) => x.run_id === r.run_id);
        if (!known && (sortRef.current !== 'start_desc' || !runMatches(r, fRef.current))) continue;
        const merged = mergeLiveRun(list, r);
        list = merged.runs;
        if (merged.isNew) added++;
      }
      sinceFetch.current.clear();
      setRuns(list);
      setCursor(first.data.next_cursor);
      setFindings(first.data.findings ?? {});
      setTotal(first.data.total === null ? null : first.data.total + added);
      setFresh(new Set());
    }
  }, [first.data]);

  const facetQuery = filtersToQuery(f);
  const facets = useFetch('facets?' + facetQuery.toString(), (signal) => api.facets(facetQuery, signal));

  // Live updates: new matching runs appear on top (newest-first order only); known runs update in place.
  useEffect(() => {
    return subscribeLive(
      (run) => {
        if (loadingRef.current) sinceFetch.current.set(run.run_id, run);
        setRuns((cur) => {
          const known = cur.some((r) => r.run_id === run.run_id);
          // A listed run may match `q` by a step name the summary does not carry: judge it
          // without `q`, so an update never drops a run the server matched.
          const matches = runMatches(run, known ? { ...fRef.current, q: '' } : fRef.current);
          if (!known && (!matches || sortRef.current !== 'start_desc')) return cur;
          if (known && !matches) return cur.filter((r) => r.run_id !== run.run_id);
          const { runs: next, isNew } = mergeLiveRun(cur, run);
          if (isNew) {
            setTotal((t) => (t === null ? t : t + 1));
            setFresh((s) => new Set(s).add(run.run_id));
          }
          return next;
        });
      },
      setLiveState,
    );
  }, []);

  const loadMore = () => {
    if (!cursor) return;
    setMore({ loading: true });
    const q = new URLSearchParams(apiQuery);
    q.set('limit', String(PAGE));
    q.set('cursor', cursor);
    api.runs(q).then(
      (page) => {
        setRuns((cur) => {
          const seen = new Set(cur.map((r) => r.run_id));
          return [...cur, ...page.runs.filter((r) => !seen.has(r.run_id))];
        });
        setCursor(page.next_cursor);
        setFindings((cur) => ({ ...cur, ...(page.findings ?? {}) }));
        setMore({ loading: false });
      },
      (error) => setMore({ loading: false, error }),
    );
  };

  const [active, setActive] = useRowKeys(runs.length, (i) => {
    location.hash = runHref(runs[i].run_id);
  });

  const now = new Date();
  let body;
  if (first.error) {
    body = <ErrorState error={first.error} onRetry={first.reload} />;
  } else if (!first.data) {
    body = <Loading what="runs" />;
  } else if (runs.length === 0) {
    body = hasAnyFilter(f) ? (
      <EmptyState title="No runs match these filters.">
        Widen the time range, remove a filter above, or <a href="#/runs">show all runs</a>.
      </EmptyState>
    ) : (
      <EmptyState title="No runs yet.">
        Tracery has not received any traces. Point an OpenTelemetry exporter at this server (
        <span class="mono">OTEL_EXPORTER_OTLP_ENDPOINT={location.origin}</span>); new runs appear here live.
      </EmptyState>
    );
  } else {
    body = (
      <>
        <div class={`table-wrap${first.loading ? ' stale' : ''}`} aria-busy={first.loading}>
          <table class="runs" data-testid="runs-table">
            <thead>
              <tr>
                <th>Run</th>
                <th>Agent</th>
                <th>Version</th>
                <th>Env</th>
                <th>Status</th>
                <th>Failure</th>
                <th>Model</th>
                <th>Session</th>
                <th>User</th>
                <th>Tags</th>
                <SortHeader label="Start" column="start" sort={sort} onSort={(s) => go(f, s)} />
                <SortHeader label="Duration" column="duration" sort={sort} onSort={(s) => go(f, s)} class="num" />
                <th class="num">Steps</th>
                <SortHeader label="Tokens" column="tokens" sort={sort} onSort={(s) => go(f, s)} class="num" />
                <SortHeader label="Cost" column="cost" sort={sort} onSort={(s) => go(f, s)} class="num" />
              </tr>
            </thead>
            <tbody>
              {runs.map((r, i) => (
                <tr
                  key={r.run_id}
                  data-testid="run-row"
                  data-run-id={r.run_id}
                  data-row-index={i}
                  aria-selected={i === active}
                  class={`${i === active ? 'active' : ''}${fresh.has(r.run_id) ? ' fresh' : ''}`}
                  onClick={(e) => {
                    setActive(i);
                    const t = e.target as HTMLElement;
                    if (t.closest('a,button')) return;
                    location.hash = runHref(r.run_id);
                  }}
                >
                  <td class="name">
                    <a href={runHref(r.run_id)} title={r.run_id}>
                      {r.name || shortId(r.run_id)}
                    </a>
                  </td>
                  <td>{r.agent_id}</td>
                  <td class="mono">{r.agent_version}</td>
                  <td>{r.environment}</td>
                  <td>
                    <StatusBadge status={r.status} />
                    {r.retry_count > 0 && <span class="muted small" title="retried steps"> ↻{r.retry_count}</span>}
                  </td>
                  <td class="failure" title={r.failure?.message}>
                    {r.failure ? (
                      <>
                        <span class="ftype">{r.failure.type}</span>/<span class="mono">{r.failure.code}</span>
                      </>
                    ) : (
                      ''
                    )}
                    {(findings[r.run_id] ?? []).map((x) => (
                      <a
                        key={`${x.rubric_name}/${x.mode_id}`}
                        class={`chip finding${x.verdict === 'positive' ? ' worse' : ''}`}
                        data-testid="run-finding"
                        data-mode={x.mode_id}
                        data-verdict={x.verdict}
                        href={`#/runs?annotation=${encodeURIComponent(x.mode_id)}`}
                        title={`triage: ${x.rubric_name} · ${x.mode_id} ${x.verdict === 'error' ? '(classification failed)' : 'found'}${x.severity ? ` · ${x.severity}` : ''}`}
                      >
                        {x.verdict === 'error' ? '⚠ ' : ''}
                        {x.mode_id}
                      </a>
                    ))}
                  </td>
                  <td class="mono small">{r.models.join(', ')}</td>
                  <td class="mono small">
                    {r.session_id && <a href={buildHash(['sessions', r.session_id])}>{shortId(r.session_id)}</a>}
                  </td>
                  <td class="small">{r.user_id}</td>
                  <td class="small">{r.tags.join(', ')}</td>
                  <td class="time" title={formatTimestampTitle(r.start_time)}>{formatTime(r.start_time, now)}</td>
                  <td class="num">{r.status === 'running' ? <span class="muted">running</span> : formatDuration(r.duration_ms)}</td>
                  <td class="num">{formatCount(r.step_count)}</td>
                  <td class="num">{formatTokens(r.tokens.total)}</td>
                  <td class="num">{formatCost(r.cost_usd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="pager">
          {more.error ? <ErrorState error={more.error} onRetry={loadMore} /> : null}
          {cursor ? (
            <button type="button" onClick={loadMore} disabled={more.loading} data-testid="load-more">
              {more.loading ? 'Loading…' : `Load ${PAGE} more`}
            </button>
          ) : (
            <span class="muted small">End of list.</span>
          )}
        </div>
      </>
    );
  }

  return (
    <div class="runs-view with-facets">
      <FacetPanel facets={facets.data} error={facets.error} f={f} onChange={setF} />
      <section class="content">
        <div class="toolbar">
          <SearchBox
            value={f.q}
            testid="filter-q"
            placeholder="Search runs (name, agent, failure, step names)  /"
            onCommit={(v) => setF(setSingle(f, 'q', v))}
          />
          <TimeRange f={f} onChange={setF} />
          <span class="spacer" />
          <span class="count" data-testid="runs-count">
            {first.loading ? 'loading…' : total !== null ? `${formatCount(total)} runs` : `${formatCount(runs.length)}+ runs`}
          </span>
          <span class={`live live-${liveState}`} data-testid="live-indicator" data-state={liveState}
                title={liveState === 'live' ? 'New runs appear as they arrive' : 'Live updates are not connected'}>
            ● {liveState === 'live' ? 'live' : liveState === 'connecting' ? 'connecting' : 'offline'}
          </span>
        </div>
        <FilterChips f={f} onChange={setF} />
        {body}
        <p class="hint muted small">Keys: j/k or ↑/↓ move, Enter opens, / searches, g r/f/s/e switches view.</p>
      </section>
    </div>
  );
}
