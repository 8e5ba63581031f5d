// Typed client for the JSON API (docs/api.md). Every call resolves to data or rejects with an
// ApiError carrying the server's message, so views can show it in words.

export interface Tokens {
  input: number;
  output: number;
  total: number;
  cache_read: number;
  cache_write: number;
  reasoning: number;
}

export interface Failure {
  type: string;
  code: string;
  message: string;
  step_id: string;
  source: string;
  error_type: string;
  recovered: boolean;
  time: string | null;
}

export type RunStatus = 'running' | 'ok' | 'failed' | 'partial' | 'abandoned';

export interface Run {
  run_id: string;
  name: string;
  agent_id: string;
  agent_version: string;
  environment: string;
  session_id: string;
  user_id: string;
  service_name: string;
  start_time: string | null;
  start_unix_nano: string | null;
  end_time: string | null;
  end_unix_nano: string | null;
  duration_ms: number | null;
  status: RunStatus;
  failure: Failure | null;
  step_count: number;
  llm_count: number;
  tool_count: number;
  retry_count: number;
  error_count: number;
  agent_count: number;
  tokens: Tokens;
  cost_usd: number;
  models: string[];
  tags: string[];
  metadata: Record<string, unknown>;
  updated_time: string | null;
  updated_unix_nano: string | null;
}

/** A positive or errored triage annotation of a listed run (negatives are left out). */
export interface RunFinding {
  rubric_name: string;
  mode_id: string;
  verdict: 'positive' | 'error';
  severity: string;
}

export interface RunPage {
  runs: Run[];
  next_cursor: string | null;
  total: number | null;
  /** Triage findings of the listed runs, by run id (runs without findings are absent). */
  findings?: Record<string, RunFinding[]>;
}

export interface FacetValue {
  value: string;
  count: number;
}

export interface Facets {
  facets: Record<string, FacetValue[]>;
  scanned: number;
  truncated: boolean;
}

export interface StatsRow {
  group: string;
  bucket_start: string | null;
  bucket_start_unix_nano: string | null;
  runs: number;
  ok: number;
  failed: number;
  partial: number;
  running: number;
  success_rate: number;
  latency_ms: { p50: number; p95: number; p99: number };
  tokens: Tokens;
  cost_usd: number;
}

export interface Stats {
  group_by: string;
  bucket: string | null;
  rows: StatsRow[];
}

export interface Session {
  session_id: string;
  user_id: string;
  run_count: number;
  failed_count: number;
  first_start_time: string | null;
  last_end_time: string | null;
  tokens: Tokens;
  cost_usd: number;
}

export interface SessionPage {
  sessions: Session[];
  next_cursor: string | null;
}

export interface AgentSummary {
  agent_id: string;
  versions: string[];
  runs: number;
  failed: number;
  last_seen_time: string | null;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Reads `{"error":{"code","message"}}` when present; falls back to the HTTP status text. */
export async function errorFromResponse(res: Response, path: string): Promise<ApiError> {
  let code = 'HTTP_' + res.status;
  let message = `${path}: HTTP ${res.status} ${res.statusText}`.trim();
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body?.error?.message) {
      message = body.error.message;
      code = body.error.code ?? code;
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(message, res.status, code);
}

let baseUrl = '';
/** For tests and non-root mounts. */
export function setBaseUrl(url: string): void {
  baseUrl = url.replace(/\/$/, '');
}

export async function getJson<T>(path: string, query?: URLSearchParams, signal?: AbortSignal): Promise<T> {
  const qs = query && query.toString();
  const url = baseUrl + path + (qs ? `?${qs}` : '');
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(`cannot reach the Tracery server (${path}): ${(e as Error).message}`, 0, 'NETWORK');
  }
  if (!res.ok) throw await errorFromResponse(res, path);
  return (await res.json()) as T;
}

const enc = encodeURIComponent;

export const api = {
  runs: (q: URLSearchParams, signal?: AbortSignal) => getJson<RunPage>('/api/runs', q, signal),
  facets: (q: URLSearchParams, signal?: AbortSignal) => getJson<Facets>('/api/runs/facets', q, signal),
  run: <T = unknown>(id: string, q?: URLSearchParams, signal?: AbortSignal) =>
    getJson<T>(`/api/runs/${enc(id)}`, q, signal),
  stepContent: <T = unknown>(runId: string, stepId: string, signal?: AbortSignal) =>
    getJson<T>(`/api/runs/${enc(runId)}/steps/${enc(stepId)}/content`, undefined, signal),
  stats: (q: URLSearchParams, signal?: AbortSignal) => getJson<Stats>('/api/stats', q, signal),
  sessions: (q: URLSearchParams, signal?: AbortSignal) => getJson<SessionPage>('/api/sessions', q, signal),
  agents: (q: URLSearchParams, signal?: AbortSignal) =>
    getJson<{ agents: AgentSummary[] }>('/api/agents', q, signal),
};

/** Subscribes to /api/live run updates; returns an unsubscribe function. */
export function subscribeLive(
  onRun: (run: Run) => void,
  onState: (state: 'connecting' | 'live' | 'down') => void,
  query?: URLSearchParams,
): () => void {
  if (typeof EventSource === 'undefined') {
    onState('down');
    return () => {};
  }
  const qs = query && query.toString();
  const es = new EventSource(baseUrl + '/api/live' + (qs ? `?${qs}` : ''));
  onState('connecting');
  es.onopen = () => onState('live');
  es.onerror = () => onState(es.readyState === EventSource.CLOSED ? 'down' : 'connecting');
  es.addEventListener('run', (ev) => {
    try {
      onRun(JSON.parse((ev as MessageEvent<string>).data) as Run);
    } catch {
      // a malformed event is skipped; the next list refresh catches up
    }
  });
  return () => es.close();
}
