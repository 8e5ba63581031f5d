// The run's step structure in compact form: typed arrays indexed by seq (execution order), so a
// 100,000-step run costs a few MB rather than 100k JS objects. Built from the /outline document,
// or from a window of full steps (first paint, before the outline arrives).
import type { OutlineDoc, Step } from './types';

export interface Outline {
  /** Steps known (for a partial outline: the steps of the windows seen). */
  count: number;
  /** Whether this covers every step of the run. */
  complete: boolean;
  stepIds: string[];
  parent: Int32Array; // seq of the parent, -1 for a root / unknown parent
  name: Int32Array; // index into names
  type: Uint8Array; // index into types
  agent: Int32Array; // index into agents
  status: Uint8Array; // index into statuses
  failed: Uint8Array;
  attempt: Int32Array;
  retryOf: Int32Array; // seq of the previous attempt, -1
  startUs: Float64Array; // from the run start
  durationUs: Float64Array; // -1 while open
  names: string[];
  types: string[];
  agents: string[];
  statuses: string[];
  index: Map<string, number>; // step_id -> seq
}

function table(values: string[], v: string): number {
  let i = values.indexOf(v);
  if (i < 0) {
    values.push(v);
    i = values.length - 1;
  }
  return i;
}

/** Validates array lengths, so a truncated or hostile document fails loudly instead of misdrawing. */
export function outlineFromDoc(doc: OutlineDoc): Outline {
  const n = doc.step_id.length;
  for (const key of ['parent', 'name', 'type', 'agent', 'status', 'failed', 'attempt', 'retry_of', 'start_us', 'duration_us'] as const) {
    if (!Array.isArray(doc[key]) || doc[key].length !== n) {
      throw new Error(`outline: array "${key}" has ${doc[key]?.length ?? 0} entries, expected ${n}`);
    }
  }
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(doc.step_id[i], i);
  const clampIdx = (v: number) => (Number.isInteger(v) && v >= 0 && v < n ? v : -1);
  const parent = Int32Array.from(doc.parent, clampIdx);
  // A parent must come before its child in execution order, else the tree could contain a cycle.
  for (let i = 0; i < n; i++) if (parent[i] >= i) parent[i] = -1;
  return {
    count: n,
    complete: true,
    stepIds: doc.step_id,
    parent,
    name: Int32Array.from(doc.name),
    type: Uint8Array.from(doc.type),
    agent: Int32Array.from(doc.agent),
    status: Uint8Array.from(doc.status),
    failed: Uint8Array.from(doc.failed),
    attempt: Int32Array.from(doc.attempt),
    retryOf: Int32Array.from(doc.retry_of, (v, i) => (clampIdx(v) < i ? clampIdx(v) : -1)),
    startUs: Float64Array.from(doc.start_us),
    durationUs: Float64Array.from(doc.duration_us),
    names: doc.names,
    types: doc.types,
    agents: doc.agents,
    statuses: doc.statuses,
    index,
  };
}

/** A partial outline from windows of full steps (contiguous from seq 0) for the first paint. */
export function outlineFromSteps(steps: Step[], complete: boolean): Outline {
  const n = steps.length;
  const o: Outline = {
    count: n,
    complete,
    stepIds: steps.map((s) => s.step_id),
    parent: new Int32Array(n),
    name: new Int32Array(n),
    type: new Uint8Array(n),
    agent: new Int32Array(n),
    status: new Uint8Array(n),
    failed: new Uint8Array(n),
    attempt: new Int32Array(n),
    retryOf: new Int32Array(n),
    startUs: new Float64Array(n),
    durationUs: new Float64Array(n),
    names: [],
    types: [],
    agents: [],
    statuses: [],
    index: new Map(),
  };
  steps.forEach((s, i) => o.index.set(s.step_id, i));
  steps.forEach((s, i) => {
    const p = s.parent_id ? o.index.get(s.parent_id) : undefined;
    o.parent[i] = p !== undefined && p < i ? p : -1;
    const r = s.retry_of ? o.index.get(s.retry_of) : undefined;
    o.retryOf[i] = r !== undefined && r < i ? r : -1;
    o.name[i] = table(o.names, s.name);
    o.type[i] = table(o.types, s.type);
    o.agent[i] = table(o.agents, s.agent);
    o.status[i] = table(o.statuses, s.status);
    o.failed[i] = s.failure ? 1 : 0;
    o.attempt[i] = s.attempt;
    o.startUs[i] = Math.round(s.offset_ms * 1000);
    o.durationUs[i] = s.duration_ms === null ? -1 : Math.round(s.duration_ms * 1000);
  });
  return o;
}

export const stepName = (o: Outline, i: number) => o.names[o.name[i]] ?? '';
export const stepType = (o: Outline, i: number) => o.types[o.type[i]] ?? 'other';
export const stepAgent = (o: Outline, i: number) => o.agents[o.agent[i]] ?? '';
export const stepStatus = (o: Outline, i: number) => o.statuses[o.status[i]] ?? 'unset';
export const isError = (o: Outline, i: number) => o.failed[i] === 1 || stepStatus(o, i) === 'error';

/** End of the last step, in µs from the run start (at least 1, so scales never divide by 0). */
export function outlineSpanUs(o: Outline): number {
  let end = 1;
  for (let i = 0; i < o.count; i++) {
    const e = o.startUs[i] + Math.max(0, o.durationUs[i]);
    if (e > end) end = e;
  }
  return end;
}
