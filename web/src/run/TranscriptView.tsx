// Transcript: the conversation as the agent saw it, in pages of entries; each entry's content is
// fetched when the entry is rendered (only one page at a time).
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Failure } from '../api';
import { formatDuration, formatTokens } from '../format';
import { prettyValue } from './content';
import type { RunData } from './data';
import type { Outline } from './outline';
import { stepAgent, stepName } from './outline';
import { Collapsible } from './StepPanel';
import type { Entry } from './transcript';
import { chatLine, fieldMessages, previousTurns, seenPrefix, transcriptEntries } from './transcript';
import type { ContentDoc } from './types';

const PAGE = 60;

function useContent(data: RunData, stepId: string | null): ContentDoc | null | 'error' {
  const [doc, setDoc] = useState<ContentDoc | null | 'error'>(null);
  useEffect(() => {
    setDoc(null);
    if (!stepId) return;
    let live = true;
    data.stepContent(stepId).then((d) => live && setDoc(d), () => live && setDoc('error'));
    return () => {
      live = false;
    };
  }, [stepId]);
  return doc;
}

const field = (doc: ContentDoc | null | 'error', name: string) =>
  doc && doc !== 'error' ? doc.content.find((f) => f.name === name) : undefined;

function Messages(p: { msgs: unknown[] }) {
  return (
    <>
      {p.msgs.map((m, i) => {
        const line = chatLine(m);
        return (
          <div key={i} class={`chat chat-${line.role || 'none'}`}>
            {line.role && <span class="role">{line.role}</span>}
            {line.text && <Collapsible text={line.text} />}
            {line.toolCalls.map((c, k) => (
              <div key={k} class="mono small tool-call">
                → {c.name}({c.args.length > 200 ? c.args.slice(0, 200) + '…' : c.args})
              </div>
            ))}
          </div>
        );
      })}
    </>
  );
}

function LlmEntry(p: { data: RunData; o: Outline; seq: number; prev: number }) {
  const id = p.o.stepIds[p.seq];
  const doc = useContent(p.data, id);
  const prevDoc = useContent(p.data, p.prev >= 0 ? p.o.stepIds[p.prev] : null);
  const [showAll, setShowAll] = useState(false);
  const step = p.data.step(p.seq);
  if (doc === 'error') return <p class="worse small">content could not be loaded</p>;
  if (!doc) return <p class="muted small" aria-busy="true">loading…</p>;
  const input = [...fieldMessages(field(doc, 'system')), ...fieldMessages(field(doc, 'input'))];
  const output = fieldMessages(field(doc, 'output'));
  let skip = 0;
  if (p.prev >= 0 && prevDoc && prevDoc !== 'error') {
    const pin = [...fieldMessages(field(prevDoc, 'system')), ...fieldMessages(field(prevDoc, 'input'))];
    skip = seenPrefix(pin, fieldMessages(field(prevDoc, 'output')), input);
  }
  const shown = showAll ? input : input.slice(skip);
  return (
    <div data-testid="step-content">
      {skip > 0 && (
        <button type="button" class="link-btn small" onClick={() => setShowAll(!showAll)}>
          {showAll ? 'hide earlier messages' : `${skip} earlier messages (already shown above)`}
        </button>
      )}
      <Messages msgs={shown} />
      {output.length > 0 && <div class="output-sep muted small">output{step?.finish_reason ? ` · ${step.finish_reason}` : ''}</div>}
      <Messages msgs={output.map((m) => (typeof m === 'string' ? { role: 'assistant', content: m } : m))} />
    </div>
  );
}

function ToolEntry(p: { data: RunData; o: Outline; seq: number }) {
  const doc = useContent(p.data, p.o.stepIds[p.seq]);
  if (doc === 'error') return <p class="worse small">content could not be loaded</p>;
  if (!doc) return <p class="muted small" aria-busy="true">loading…</p>;
  const args = field(doc, 'tool.arguments') ?? field(doc, 'input');
  const result = field(doc, 'tool.result') ?? field(doc, 'output');
  return (
    <div data-testid="step-content">
      {args && (
        <div>
          <span class="muted small">arguments</span>
          <Collapsible text={prettyValue(args.value, args.mime)} />
        </div>
      )}
      {result && (
        <div>
          <span class="muted small">result</span>
          <Collapsible text={prettyValue(result.value, result.mime)} />
        </div>
      )}
      {!args && !result && <p class="muted small">no arguments or result recorded</p>}
    </div>
  );
}

function EntryView(p: { data: RunData; o: Outline; e: Entry; prev: number; failure?: Failure; selected: boolean; onSelect: (seq: number) => void }) {
  const { o, e } = p;
  const step = p.data.step(e.seq);
  const head = (
    <div class="entry-head">
      <button type="button" class="link-btn" onClick={() => p.onSelect(e.seq)}>
        {stepName(o, e.seq)}
      </button>
      <span class="muted small">
        {stepAgent(o, e.seq)}
        {o.durationUs[e.seq] >= 0 ? ` · ${formatDuration(o.durationUs[e.seq] / 1000)}` : ' · open'}
        {step && step.tokens.total ? ` · ${formatTokens(step.tokens.total)} tokens` : ''}
      </span>
    </div>
  );
  let body;
  switch (e.kind) {
    case 'llm':
      body = <LlmEntry data={p.data} o={o} seq={e.seq} prev={p.prev} />;
      break;
    case 'tool':
      body = <ToolEntry data={p.data} o={o} seq={e.seq} />;
      break;
    case 'handoff':
      body = (
        <div>
          {step ? `${step.handoff_from || stepAgent(o, e.seq)} → ${step.handoff_to || '?'}` : 'handoff'}
          <ToolEntry data={p.data} o={o} seq={e.seq} />
        </div>
      );
      break;
    case 'message':
      body = (
        <div>
          <strong>{e.message!.from_agent}</strong> → <strong>{e.message!.to_agent}</strong> <span class="muted small">({e.message!.kind})</span>
        </div>
      );
      break;
    case 'failure':
      body = (
        <div class="worse">
          {p.failure ? (
            <>
              <strong>{p.failure.type} · {p.failure.code}</strong> {p.failure.message}
              {p.failure.recovered ? <span class="muted small"> (recovered)</span> : ''}
            </>
          ) : (
            (step?.status_message ?? 'failed')
          )}
        </div>
      );
      break;
  }
  return (
    <div class={`entry entry-${e.kind}${p.selected ? ' selected' : ''}`} data-testid="transcript-entry" data-kind={e.kind} data-step-id={o.stepIds[e.seq]}>
      <span class={`entry-kind kind-${e.kind}`}>{e.kind}</span>
      <div class="entry-main">
        {e.kind !== 'message' && e.kind !== 'failure' && head}
        {body}
      </div>
    </div>
  );
}

export function TranscriptView(p: { data: RunData; outline: Outline; selected: number; onSelect: (seq: number) => void }) {
  const o = p.outline;
  // Pages of execution order; a page covers steps until PAGE entries are collected.
  const [pages, setPages] = useState(1);
  const messages = p.data.first.messages ?? [];
  const failures = useMemo(() => new Map((p.data.first.failures ?? []).map((f) => [f.step_id, f])), [p.data]);
  const entries = useMemo(() => {
    const out: Entry[] = [];
    let seq = 0;
    const want = pages * PAGE;
    while (out.length < want && seq < o.count) {
      const chunk = transcriptEntries(o, messages, seq, Math.min(o.count, seq + 2000));
      out.push(...chunk);
      seq += 2000;
    }
    return { list: out.slice(0, want), more: out.length > want || seq < o.count };
  }, [o, pages]);
  const prev = useMemo(() => previousTurns(o, entries.list), [entries]);
  useEffect(() => {
    p.data.ensure(Int32Array.from(entries.list.map((e) => e.seq)));
  }, [entries]);
  if (entries.list.length === 0) {
    return (
      <div class="state state-empty" data-testid="empty-state">
        <strong>Nothing to transcribe.</strong>
        <div class="state-body">This run has no LLM calls, tool calls, handoffs or failures{o.complete ? '' : ' in the steps loaded so far'}.</div>
      </div>
    );
  }
  return (
    <div class="transcript" data-testid="transcript">
      {entries.list.map((e, i) => (
        <EntryView key={`${e.kind}-${e.seq}-${i}`} data={p.data} o={o} e={e} prev={prev.get(e.seq) ?? -1}
                   failure={failures.get(o.stepIds[e.seq])} selected={e.seq === p.selected} onSelect={p.onSelect} />
      ))}
      {entries.more && (
        <button type="button" class="more" onClick={() => setPages(pages + 1)}>
          Show the next {PAGE} entries
        </button>
      )}
    </div>
  );
}
