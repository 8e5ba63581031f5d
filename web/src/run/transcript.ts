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
