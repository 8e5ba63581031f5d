// Test helper: an OutlineDoc from a compact list of steps.
import type { OutlineDoc } from './types';

export interface S {
  id: string;
  parent?: string;
  name?: string;
  type?: string;
  agent?: string;
  start: number; // µs
  dur?: number; // µs, -1 open
  failed?: boolean;
  retryOf?: string;
  attempt?: number;
}

export function doc(steps: S[]): OutlineDoc {
  const names: string[] = [];
  const types: string[] = [];
  const agents: string[] = [];
  const intern = (t: string[], v: string) => (t.includes(v) ? t.indexOf(v) : t.push(v) - 1);
  const ids = steps.map((s) => s.id);
  return {
    run_id: 'r',
    total_steps: steps.length,
    start_unix_nano: '0',
    names,
    types,
    agents,
    statuses: ['ok', 'error'],
    step_id: ids,
    parent: steps.map((s) => (s.parent ? ids.indexOf(s.parent) : -1)),
    name: steps.map((s) => intern(names, s.name ?? s.id)),
    type: steps.map((s) => intern(types, s.type ?? 'other')),
    agent: steps.map((s) => intern(agents, s.agent ?? 'a')),
    status: steps.map((s) => (s.failed ? 1 : 0)),
    failed: steps.map((s) => (s.failed ? 1 : 0)),
    attempt: steps.map((s) => s.attempt ?? 0),
    retry_of: steps.map((s) => (s.retryOf ? ids.indexOf(s.retryOf) : -1)),
    start_us: steps.map((s) => s.start),
    duration_us: steps.map((s) => s.dur ?? 10),
  };
}
