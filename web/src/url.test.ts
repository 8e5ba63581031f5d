import { describe, expect, it } from 'vitest';
import {
  buildHash, clearKey, emptyFilters, filtersFromQuery, filtersToQuery, hasAnyFilter, nextSort, parseHash, parseSort,
  toggleValue,
} from './url';

describe('parseHash / buildHash', () => {
  it('splits path and query', () => {
    const r = parseHash('#/runs/abc123?view=tree&step=s1');
    expect(r.path).toEqual(['runs', 'abc123']);
    expect(r.query.get('view')).toBe('tree');
    expect(r.query.get('step')).toBe('s1');
  });
  it('treats an empty hash as no path', () => {
    expect(parseHash('').path).toEqual([]);
    expect(parseHash('#').path).toEqual([]);
    expect(parseHash('#/').path).toEqual([]);
  });
  it('round-trips ids that need escaping', () => {
    const id = 'conv/42 ?&#%';
    const h = buildHash(['sessions', id]);
    expect(h).not.toContain(' ');
    expect(parseHash(h).path).toEqual(['sessions', id]);
  });
  it('keeps a malformed escape as typed instead of throwing', () => {
    expect(parseHash('#/runs/%E0%A4%A').path).toEqual(['runs', '%E0%A4%A']);
  });
});

describe('filters', () => {
  it('round-trips a full filter state through the URL', () => {
    const f = {
      ...emptyFilters(),
      agent: ['planner', 'researcher'],
      status: ['failed', 'partial'],
      tag: ['beta'],
      failure_code: ['timeout'],
      q: 'search flights & hotels',
      since: '24h',
      session: 'conv-42',
      min_duration_ms: '1500',
    };
    const hash = buildHash(['runs'], filtersToQuery(f, { sort: 'cost_desc' }));
    const back = parseHash(hash);
    expect(filtersFromQuery(back.query)).toEqual(f);
    expect(back.query.get('sort')).toBe('cost_desc');
  });
  it('accepts repeated keys and comma lists like the API, dropping blanks and duplicates', () => {
    const f = filtersFromQuery(new URLSearchParams('agent=a&agent=b,c&agent=a&status=,failed, '));
    expect(f.agent).toEqual(['a', 'b', 'c']);
    expect(f.status).toEqual(['failed']);
  });
  it('writes equal states as equal URLs regardless of toggle order', () => {
    let a = emptyFilters();
    a = toggleValue(a, 'status', 'failed');
    a = toggleValue(a, 'agent', 'x');
    let b = emptyFilters();
    b = toggleValue(b, 'agent', 'x');
    b = toggleValue(b, 'status', 'failed');
    expect(filtersToQuery(a).toString()).toBe(filtersToQuery(b).toString());
  });
  it('omits empty values', () => {
    expect(filtersToQuery(emptyFilters(), { sort: '' }).toString()).toBe('');
    expect(hasAnyFilter(emptyFilters())).toBe(false);
  });
  it('toggles values on and off without mutating', () => {
    const a = emptyFilters();
    const b = toggleValue(a, 'status', 'failed');
    expect(a.status).toEqual([]);
    expect(b.status).toEqual(['failed']);
    expect(toggleValue(b, 'status', 'failed').status).toEqual([]);
    expect(hasAnyFilter(b)).toBe(true);
  });
  it('clears one key', () => {
    const f = { ...emptyFilters(), q: 'x', agent: ['a'] };
    expect(clearKey(f, 'q')).toEqual({ ...f, q: '' });
    expect(clearKey(f, 'agent').agent).toEqual([]);
  });
});

describe('sort', () => {
  it('falls back to start_desc for unknown values', () => {
    expect(parseSort(null)).toBe('start_desc');
    expect(parseSort('random')).toBe('start_desc');
    expect(parseSort('cost_desc')).toBe('cost_desc');
  });
  it('toggles direction on start and duration', () => {
    expect(nextSort('start_desc', 'start')).toBe('start_asc');
    expect(nextSort('start_asc', 'start')).toBe('start_desc');
    expect(nextSort('start_desc', 'duration')).toBe('duration_desc');
    expect(nextSort('duration_desc', 'duration')).toBe('duration_asc');
    expect(nextSort('start_desc', 'cost')).toBe('cost_desc');
    expect(nextSort('start_desc', 'tokens')).toBe('tokens_desc');
  });
});
