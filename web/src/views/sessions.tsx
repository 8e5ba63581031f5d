// Sessions: the list of sessions, and one session's runs as a journey (a timeline of its runs).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type Run, type Session } from '../api';
import { EmptyState, ErrorState, Loading, StatusBadge, useFetch, useRowKeys } from '../components';
import { formatCost, formatCount, formatDuration, formatTime, formatTimestampTitle, formatTokens, shortId } from '../format';
import { buildHash } from '../url';
import { TIME_RANGES } from './runs';

export function SessionsView(props: { query: URLSearchParams }) {
  const since = props.query.get('since') ?? '';
  const user = props.query.get('user') ?? '';
  const q = new URLSearchParams();
  if (since) q.set('since', since);
  if (user) q.set('user', user);
  q.set('limit', '100');
  const first = useFetch('sessions?' + q, (signal) => api.sessions(q, signal));
  const [rows, setRows] = useState<Session[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [more, setMore] = useState<{ loading: boolean; error?: unknown }>({ loading: false });
  useEffect(() => {
    if (first.data) {
      setRows(first.data.sessions);
      setCursor(first.data.next_cursor);
    }
  }, [first.data]);
  const [active, setActive] = useRowKeys(rows.length, (i) => (location.hash = buildHash(['sessions', rows[i].session_id])));
  const set = (k: string, v: string) => {
    const n = new URLSearchParams(props.query);
    if (v) n.set(k, v);
    else n.delete(k);
    location.hash = buildHash(['sessions'], n);
  };
  const loadMore = () => {
    if (!cursor) return;
    const n = new URLSearchParams(q);
    n.set('cursor', cursor);
    setMore({ loading: true });
    api.sessions(n).then(
      (p) => {
        setRows((r) => [...r, ...p.sessions]);
        setCursor(p.next_cursor);
        setMore({ loading: false });
      },
      (error) => setMore({ loading: false, error }),
    );
  };
  const now = new Date();
  return (
    <div class="sessions-view" data-testid="sessions-view">
      <div class="toolbar">
        <h1>Sessions</h1>
        <select aria-label="Time range" value={since} onChange={(e) => set('since', (e.target as HTMLSelectElement).value)}>
          {TIME_RANGES.map((t) => (
            <option value={t.value}>{t.label}</option>
          ))}
        </select>
        <input
          type="search"
          data-search
          placeholder="User id"
          aria-label="User id"
          value={user}
          onChange={(e) => set('user', (e.target as HTMLInputElement).value.trim())}
        />
      </div>
      {first.error ? (
        <ErrorState error={first.error} onRetry={first.reload} />
      ) : !first.data ? (
        <Loading what="sessions" />
      ) : rows.length === 0 ? (
        <EmptyState title={user || since ? 'No sessions match.' : 'No sessions yet.'}>
          Runs are grouped into sessions by their session id (<span class="mono">session.id</span>,{' '}
          <span class="mono">gen_ai.conversation.id</span> or <span class="mono">langfuse.session.id</span> attributes). Runs without one are only in the{' '}
          <a href="#/runs">runs list</a>.
        </EmptyState>
      ) : (
        <>
          <table class="compact" data-testid="sessions-table">
            <thead>
              <tr>
                <th>Session</th>
                <th>User</th>
                <th class="num">Runs</th>
                <th class="num">Failed</th>
                <th>First run</th>
                <th>Last activity</th>
                <th class="num">Tokens</th>
                <th class="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s, i) => (
                <tr
                  data-testid="session-row"
                  data-session-id={s.session_id}
                  data-row-index={i}
                  aria-selected={i === active}
                  class={i === active ? 'active' : ''}
                  onClick={(e) => {
                    setActive(i);
                    if (!(e.target as HTMLElement).closest('a')) location.hash = buildHash(['sessions', s.session_id]);
                  }}
                >
                  <td class="mono">
                    <a href={buildHash(['sessions', s.session_id])}>{s.session_id}</a>
                  </td>
                  <td>{s.user_id}</td>
                  <td class="num">{formatCount(s.run_count)}</td>
                  <td class={`num${s.failed_count ? ' worse' : ''}`}>{formatCount(s.failed_count)}</td>
                  <td title={formatTimestampTitle(s.first_start_time)}>{formatTime(s.first_start_time, now)}</td>
                  <td title={formatTimestampTitle(s.last_end_time)}>{formatTime(s.last_end_time, now)}</td>
                  <td class="num">{formatTokens(s.tokens.total)}</td>
                  <td class="num">{formatCost(s.cost_usd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="pager">
            {more.error ? <ErrorState error={more.error} onRetry={loadMore} /> : null}
            {cursor ? (
              <button type="button" onClick={loadMore} disabled={more.loading}>
                {more.loading ? 'Loading…' : 'Load more'}
              </button>
            ) : (
              <span class="muted small">End of list.</span>
            )}
          </div>
        </>
      )}
    </div>
  );
}

/** Bar geometry for the journey timeline, in percent of the session's span. */
export function journeyBars(runs: Run[]): { run: Run; left: number; width: number }[] {
  const ms = (iso: string | null) => (iso ? Date.parse(iso) : NaN);
  const starts = runs.map((r) => ms(r.start_time)).filter((x) => !Number.isNaN(x));
  if (!starts.length) return [];
  const t0 = Math.min(...starts);
  const ends = runs.map((r) => {
    const s = ms(r.start_time);
    return Number.isNaN(s) ? t0 : s + (r.duration_ms ?? 0);
  });
  const span = Math.max(1, Math.max(...ends) - t0);
  return runs.map((r) => {
    const s = ms(r.start_time);
    const left = Number.isNaN(s) ? 0 : ((s - t0) / span) * 100;
    const width = Math.max(0.5, ((r.duration_ms ?? 0) / span) * 100);
    return { run: r, left, width: Math.min(width, 100 - left) };
  });
}

export function SessionDetail(props: { sessionId: string }) {
  const q = new URLSearchParams({ session: props.sessionId, sort: 'start_asc', limit: '1000' });
  const data = useFetch('session?' + q, (signal) => api.runs(q, signal));
  const bars = useMemo(() => (data.data ? journeyBars(data.data.runs) : []), [data.data]);
  return (
    <div class="session-detail" data-testid="session-detail">
      <div class="toolbar">
        <a href="#/sessions">← Sessions</a>
        <h1>
          Session <span class="mono">{props.sessionId}</span>
        </h1>
        <span class="spacer" />
        <a href={buildHash(['runs'], new URLSearchParams({ session: props.sessionId }))}>open in runs list</a>
      </div>
      {data.error ? (
        <ErrorState error={data.error} onRetry={data.reload} />
      ) : !data.data ? (
        <Loading what="session" />
      ) : data.data.runs.length === 0 ? (
        <EmptyState title="This session has no runs.">
          No run carries session id <span class="mono">{props.sessionId}</span>. It may have been deleted by retention.
        </EmptyState>
      ) : (
        <>
          <p class="muted small">
            {formatCount(data.data.runs.length)} runs{data.data.next_cursor ? ' (first 1000 shown)' : ''}
            {data.data.runs[0].user_id && <> · user {data.data.runs[0].user_id}</>}
          </p>
          <ol class="journey" aria-label="Runs in time order">
            {bars.map(({ run, left, width }) => (
              <li>
                <a href={buildHash(['runs', run.run_id])} class="journey-row" data-run-id={run.run_id}>
                  <span class="journey-label">
                    <span class="time">{formatTime(run.start_time)}</span> {run.name || shortId(run.run_id)}
                  </span>
                  <span class="journey-track">
                    <span class={`journey-bar status-${run.status}`} style={{ left: `${left}%`, width: `${width}%` }} title={`${run.status}, ${formatDuration(run.duration_ms)}`} />
                  </span>
                  <span class="journey-meta">
                    <StatusBadge status={run.status} />
                    {run.failure && <span class="mono small"> {run.failure.code}</span>} {formatDuration(run.duration_ms)}
                  </span>
                </a>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
