// URL state: hash routes (`#/runs?status=failed`) and the run filters they carry. Filter names
// are the /api/runs parameter names, so a view's URL maps 1:1 onto its API request.

export const MULTI_KEYS = [
  'agent', 'version', 'environment', 'status', 'failure_type', 'failure_code', 'model', 'tag', 'annotation',
] as const;
export const SINGLE_KEYS = [
  'q', 'since', 'from', 'to', 'session', 'user',
  'min_duration_ms', 'max_duration_ms', 'min_cost', 'max_cost',
] as const;

export type MultiKey = (typeof MULTI_KEYS)[number];
export type SingleKey = (typeof SINGLE_KEYS)[number];

export type Filters = {
  [K in MultiKey]: string[];
} & {
  [K in SingleKey]: string;
};

export function emptyFilters(): Filters {
  const f = {} as Filters;
  for (const k of MULTI_KEYS) f[k] = [];
  for (const k of SINGLE_KEYS) f[k] = '';
  return f;
}

/** Parsed location hash: path segments (decoded) and the query after `?`. */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  let h = hash.startsWith('#') ? hash.slice(1) : hash;
  if (h.startsWith('/')) h = h.slice(1);
  const qi = h.indexOf('?');
  const pathPart = qi >= 0 ? h.slice(0, qi) : h;
  const queryPart = qi >= 0 ? h.slice(qi + 1) : '';
  const path = pathPart
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;  // a malformed escape stays as typed rather than breaking the route
      }
    });
  return { path, query: new URLSearchParams(queryPart) };
}

export function buildHash(path: string[], query?: URLSearchParams): string {
  const p = '#/' + path.map((s) => encodeURIComponent(s)).join('/');
  const q = query ? query.toString() : '';
  return q ? `${p}?${q}` : p;
}

function splitValues(raw: string[]): string[] {
  const out: string[] = [];
  for (const r of raw) {
    for (const v of r.split(',')) {
      const t = v.trim();
      if (t && !out.includes(t)) out.push(t);
    }
  }
  return out;
}

/** Reads filters from a query; comma lists and repeated keys both work, as in the API. */
export function filtersFromQuery(q: URLSearchParams): Filters {
  const f = emptyFilters();
  for (const k of MULTI_KEYS) f[k] = splitValues(q.getAll(k));
  for (const k of SINGLE_KEYS) f[k] = (q.get(k) ?? '').trim();
  return f;
}

/**
 * Writes filters into a query in a stable order (multi-valued keys as comma lists), so equal
 * filter states give equal URLs. Keys of `extra` (e.g. sort) follow, empty values dropped.
 */
export function filtersToQuery(f: Filters, extra: Record<string, string | undefined> = {}): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of MULTI_KEYS) if (f[k].length) q.set(k, f[k].join(','));
  for (const k of SINGLE_KEYS) if (f[k]) q.set(k, f[k]);
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  return q;
}

export function hasAnyFilter(f: Filters): boolean {
  return MULTI_KEYS.some((k) => f[k].length > 0) || SINGLE_KEYS.some((k) => f[k] !== '');
}

/** Adds `value` to a multi-valued filter, or removes it when present. Returns a new object. */
export function toggleValue(f: Filters, key: MultiKey, value: string): Filters {
  const cur = f[key];
  const next = cur.includes(value) ? cur.filter((v) => v !== value) : [...cur, value];
  return { ...f, [key]: next };
}

export function setSingle(f: Filters, key: SingleKey, value: string): Filters {
  return { ...f, [key]: value.trim() };
}

/** The filters minus one key (used for "clear" chips). */
export function clearKey(f: Filters, key: MultiKey | SingleKey): Filters {
  const e = emptyFilters();
  return { ...f, [key]: e[key] };
}

/** Run-list sort orders accepted by the API, and the table column each one belongs to. */
export const SORTS = ['start_desc', 'start_asc', 'duration_desc', 'duration_asc', 'cost_desc', 'tokens_desc'] as const;
export type Sort = (typeof SORTS)[number];

export function parseSort(s: string | null): Sort {
  return (SORTS as readonly string[]).includes(s ?? '') ? (s as Sort) : 'start_desc';
}

/** Clicking a column header: start and duration toggle direction; cost and tokens sort descending. */
export function nextSort(current: Sort, column: 'start' | 'duration' | 'cost' | 'tokens'): Sort {
  switch (column) {
    case 'start':
      return current === 'start_desc' ? 'start_asc' : 'start_desc';
    case 'duration':
      return current === 'duration_desc' ? 'duration_asc' : 'duration_desc';
    case 'cost':
      return 'cost_desc';
    case 'tokens':
      return 'tokens_desc';
  }
}
