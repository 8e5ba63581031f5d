// Transcript assembly: the run as the agent saw it — LLM turns (only the messages new since the
// previous turn of the same agent), tool calls with their results, handoffs, agent messages and
// failures, in execution order. Pure; content is passed in once fetched.
import type { Outline } from './outline';
import { stepAgent, stepType } from './outline';
import type { AgentMessage, ContentField } from './types';

export type EntryKind = 'llm' | 'tool' | 'handoff' | 'message' | 'failure';

export interface Entry {
  kind: EntryKind;
  seq: number; // the step the entry belongs to
  message?: AgentMessage; // for kind "message"
}

const KIND_OF_TYPE: Record<string, EntryKind | undefined> = {
  llm: 'llm',
  tool: 'tool',
  handoff: 'handoff',
};

/**
 * Entries for steps in [from, to) of execution order. A failed step adds a "failure" entry after
 * its own; messages between agents are placed at the step that carried them (a handoff message
 * carried by a handoff step is that step's entry, not a second one).
 */
export function transcriptEntries(o: Outline, messages: AgentMessage[], from = 0, to = o.count): Entry[] {
  const bySeq = new Map<number, AgentMessage[]>();
  for (const m of messages) {
    const seq = o.index.get(m.step_id);
    if (seq === undefined || seq < from || seq >= to) continue;
    const list = bySeq.get(seq) ?? [];
    list.push(m);
    bySeq.set(seq, list);
  }
  const out: Entry[] = [];
  for (let i = from; i < Math.min(to, o.count); i++) {
    const kind = KIND_OF_TYPE[stepType(o, i)];
    if (kind) out.push({ kind, seq: i });
    for (const m of bySeq.get(i) ?? []) {
      if (kind === 'handoff' && m.kind === 'handoff') continue;
      out.push({ kind: 'message', seq: i, message: m });
    }
    if (o.failed[i]) out.push({ kind: 'failure', seq: i });
  }
  return out;
}

export const ENTRY_KINDS: readonly EntryKind[] = ['llm', 'tool', 'handoff', 'message', 'failure'];

/**
 * The whole run's transcript in compact form (typed arrays, one slot per entry), so a
 * 100,000-step run's ~90,000 entries cost a few hundred KB and a virtual list can address any of
 * them. Same entries, in the same order, as transcriptEntries(o, messages).
 */
export interface EntryIndex {
  count: number;
  seq: Int32Array; // non-decreasing
  kind: Uint8Array; // index into ENTRY_KINDS
  msg: Int32Array; // index into the messages, -1 unless kind "message"
  prevTurn: Int32Array; // for "llm": seq of the previous LLM step of the same agent, else -1
}

export function buildEntryIndex(o: Outline, messages: AgentMessage[]): EntryIndex {
  const bySeq = new Map<number, number[]>();
  messages.forEach((m, k) => {
    const seq = o.index.get(m.step_id);
    if (seq === undefined) return;
    const list = bySeq.get(seq) ?? [];
    list.push(k);
    bySeq.set(seq, list);
  });
  const kindNo = (k: EntryKind) => ENTRY_KINDS.indexOf(k);
  // Upper bound: one entry per step + one failure per step + one per message.
  const cap = o.count * 2 + messages.length;
  const seq = new Int32Array(cap);
  const kind = new Uint8Array(cap);
  const msg = new Int32Array(cap).fill(-1);
  const prevTurn = new Int32Array(cap).fill(-1);
  const lastTurn = new Map<number, number>(); // agent index -> seq of its last LLM step
  let n = 0;
  for (let i = 0; i < o.count; i++) {
    const k = KIND_OF_TYPE[stepType(o, i)];
    if (k) {
      seq[n] = i;
      kind[n] = kindNo(k);
      if (k === 'llm') {
        prevTurn[n] = lastTurn.get(o.agent[i]) ?? -1;
        lastTurn.set(o.agent[i], i);
      }
      n++;
    }
    for (const m of bySeq.get(i) ?? []) {
      if (k === 'handoff' && messages[m].kind === 'handoff') continue;
      seq[n] = i;
      kind[n] = kindNo('message');
      msg[n] = m;
      n++;
    }
    if (o.failed[i]) {
      seq[n] = i;
      kind[n] = kindNo('failure');
      n++;
    }
  }
  return { count: n, seq: seq.slice(0, n), kind: kind.slice(0, n), msg: msg.slice(0, n), prevTurn: prevTurn.slice(0, n) };
}

export function entryAt(ix: EntryIndex, messages: AgentMessage[], i: number): Entry {
  const kind = ENTRY_KINDS[ix.kind[i]];
  return kind === 'message' ? { kind, seq: ix.seq[i], message: messages[ix.msg[i]] } : { kind, seq: ix.seq[i] };
}

/** The first entry whose step is `seq` or comes after it (count when none): where a selected step is shown. */
export function entryForSeq(ix: EntryIndex, seq: number): number {
  let lo = 0;
  let hi = ix.count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ix.seq[mid] < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A chat message reduced to what the transcript shows. */
export interface ChatLine {
  role: string;
  text: string;
  toolCalls: { name: string; args: string }[];
}

function textOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(textOf).filter((s) => s !== '').join('\n');
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.content === 'string') return o.content;
    if (typeof o.text === 'string') return o.text;
    if (o.type === 'tool_call' || o.type === 'tool_call_response') return '';
    if (o.content !== undefined) return textOf(o.content);
  }
  return JSON.stringify(v);
}

function argsText(a: unknown): string {
  if (a === undefined || a === null) return '';
  return typeof a === 'string' ? a : JSON.stringify(a);
}

/**
 * Normalizes the message shapes the conventions use: {role, content: string}, GenAI semconv
 * {role, parts: [{type: "text", content} | {type: "tool_call", name, arguments}]}, OpenAI
 * {role, content, tool_calls: [{function: {name, arguments}}]}, and plain strings.
 */
export function chatLine(m: unknown): ChatLine {
  if (typeof m === 'string') return { role: '', text: m, toolCalls: [] };
  if (m === null || typeof m !== 'object') return { role: '', text: JSON.stringify(m), toolCalls: [] };
  const o = m as Record<string, unknown>;
  const role = typeof o.role === 'string' ? o.role : '';
  const toolCalls: { name: string; args: string }[] = [];
  let text = '';
  if (Array.isArray(o.parts)) {
    const texts: string[] = [];
    for (const p of o.parts as Record<string, unknown>[]) {
      if (p && p.type === 'tool_call') toolCalls.push({ name: String(p.name ?? ''), args: argsText(p.arguments) });
      else if (p && p.type === 'tool_call_response') texts.push(textOf(p.response ?? p.result ?? ''));
      else texts.push(textOf(p));
    }
    text = texts.filter((t) => t !== '').join('\n');
  } else if (o.content !== undefined || o.text !== undefined) {
    text = textOf(o.content ?? o.text);
  } else if (!Array.isArray(o.tool_calls)) {
    text = JSON.stringify(m);
  }
  if (Array.isArray(o.tool_calls)) {
    for (const c of o.tool_calls as Record<string, unknown>[]) {
      const f = (c?.function ?? c) as Record<string, unknown>;
      toolCalls.push({ name: String(f?.name ?? ''), args: argsText(f?.arguments) });
    }
  }
  return { role, text, toolCalls };
}

/** The messages of a content field (a list field's parts, or a single value). */
export function fieldMessages(f: ContentField | undefined): unknown[] {
  if (!f) return [];
  if (f.is_list && Array.isArray(f.value)) return f.value;
  if (typeof f.value === 'string' && f.mime === 'application/json') {
    try {
      const v = JSON.parse(f.value);
      return Array.isArray(v) ? v : [v];
    } catch {
      return [f.value];
    }
  }
  return [f.value];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * How many leading messages of `input` the reader already saw in the previous turn of the same
 * agent (its input followed by its output). Agents resend the whole history on every call; the
 * transcript shows only what is new.
 */
export function seenPrefix(prevInput: unknown[], prevOutput: unknown[], input: unknown[]): number {
  const history = [...prevInput, ...prevOutput];
  let k = 0;
  while (k < input.length && k < history.length && same(input[k], history[k])) k++;
  // Without a shared prefix the previous turn belongs to another conversation: show everything.
  return k;
}

/** For each LLM entry, the seq of the previous LLM step of the same agent (or -1). */
export function previousTurns(o: Outline, entries: Entry[]): Map<number, number> {
  const last = new Map<string, number>();
  const out = new Map<number, number>();
  for (const e of entries) {
    if (e.kind !== 'llm') continue;
    const agent = stepAgent(o, e.seq);
    out.set(e.seq, last.get(agent) ?? -1);
    last.set(agent, e.seq);
  }
  return out;
}
