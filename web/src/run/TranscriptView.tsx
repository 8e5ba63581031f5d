// Transcript: the conversation as the agent saw it, as one virtualized list over the whole run.
// Entries have variable heights: estimated per kind until rendered, then measured (ResizeObserver)
// and cached; only the entries in view exist in the DOM, and each fetches its content when it is
// rendered. Heights changing above the reader never move what they are reading (scroll anchor).
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Failure } from '../api';
import { formatDuration, formatTokens } from '../format';
import { prettyValue } from './content';
import type { RunData } from './data';
import type { Outline } from './outline';
import { stepAgent, stepName } from './outline';
import { Collapsible } from './StepPanel';
import type { Anchor } from './heights';
import { anchorAt, HeightIndex, scrollForAnchor, scrollToItem } from './heights';
import type { Entry } from './transcript';
import { buildEntryIndex, chatLine, entryAt, entryForSeq, fieldMessages, seenPrefix } from './transcript';
import type { ContentDoc } from './types';
import './transcript.css';

// Estimated heights (px) per entry kind, in ENTRY_KINDS order, until entries of that kind are measured.
const DEFAULT_HEIGHTS = [160, 110, 120, 36, 36];
const OVERSCAN_PX = 400;

// Content already fetched, per run, so an entry scrolled back into view renders it at once instead
// of "loading…" first: a remounted entry must keep its measured height, or the list's total height
// would flip back and forth as entries enter and leave the view.
const resolved = new WeakMap<RunData, Map<string, ContentDoc>>();
const MAX_RESOLVED = 600;

function cachedContent(data: RunData, stepId: string | null): ContentDoc | null {
  return stepId ? (resolved.get(data)?.get(stepId) ?? null) : null;
}

function remember(data: RunData, stepId: string, doc: ContentDoc): void {
  let m = resolved.get(data);
  if (!m) resolved.set(data, (m = new Map()));
  m.set(stepId, doc);
  if (m.size > MAX_RESOLVED) m.delete(m.keys().next().value as string);
}

function useContent(data: RunData, stepId: string | null): ContentDoc | null | 'error' {
  const [doc, setDoc] = useState<ContentDoc | null | 'error'>(() => cachedContent(data, stepId));
  useEffect(() => {
    const hit = cachedContent(data, stepId);
    setDoc(hit);
    if (!stepId || hit) return;
    let live = true;
    data.stepContent(stepId).then(
      (d) => {
        remember(data, stepId, d);
        if (live) setDoc(d);
      },
      () => live && setDoc('error'),
    );
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

/** Observes an entry's size while it is mounted (and stops observing when it unmounts). */
function Measured(p: { index: number; ro: ResizeObserver | null; children: ComponentChildren }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !p.ro) return;
    p.ro.observe(el);
    return () => p.ro?.unobserve(el);
  }, [p.ro]);
  return (
    <div ref={ref} class="ventry" data-index={p.index}>
      {p.children}
    </div>
  );
}

export function TranscriptView(p: { data: RunData; outline: Outline; selected: number; onSelect: (seq: number) => void }) {
  const o = p.outline;
  const messages = p.data.first.messages ?? [];
  const failures = useMemo(() => new Map((p.data.first.failures ?? []).map((f) => [f.step_id, f])), [p.data]);
  const ix = useMemo(() => buildEntryIndex(o, messages), [o]);
  const heights = useMemo(() => new HeightIndex(ix.kind, DEFAULT_HEIGHTS), [ix]);
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [, setMeasureGen] = useState(0);
  const [ro, setRo] = useState<ResizeObserver | null>(null);
  // After a jump to a step, its entry stays pinned where it was put while heights around it are
  // measured, until the reader scrolls themselves.
  const pin = useRef<Anchor | null>(null);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    setViewport(el.clientHeight || 600);
    const obs = new ResizeObserver((records) => {
      const anchor = pin.current ?? anchorAt(heights, el.scrollTop);
      let changed = false;
      for (const rec of records) {
        const t = rec.target as HTMLElement;
        if (t === el) {
          setViewport(el.clientHeight || 600);
          continue;
        }
        if (heights.set(Number(t.dataset.index), t.offsetHeight)) changed = true;
      }
      if (!changed) return;
      const next = scrollForAnchor(heights, anchor);
      if (Math.abs(next - el.scrollTop) >= 1) el.scrollTop = next;
      setScrollTop(el.scrollTop);
      setMeasureGen((g) => g + 1);
    });
    obs.observe(el);
    setRo(obs);
    return () => obs.disconnect();
  }, [heights]);

  // Bring the selected step's entry (or the next entry after it) into view.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || p.selected < 0 || ix.count === 0) return;
    const i = Math.min(ix.count - 1, entryForSeq(ix, p.selected));
    const next = scrollToItem(heights, i, el.scrollTop, el.clientHeight);
    if (Math.abs(next - el.scrollTop) < 1) return;
    pin.current = { index: i, delta: next - heights.offset(i) };
    el.scrollTop = next;
    setScrollTop(el.scrollTop);
  }, [p.selected, ix]);

  // After every render: re-apply the pin (the list's total height may have changed under it, and
  // the browser clamps scrollTop without always telling us), and adopt the scroller's real
  // position when it differs from the one this render used.
  // A breaker: should the correction ever feed back on itself within one frame, the pin yields.
  const corrections = useRef(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (pin.current) {
      const want = scrollForAnchor(heights, pin.current);
      if (Math.abs(want - el.scrollTop) >= 1) el.scrollTop = want;
    }
    if (Math.abs(el.scrollTop - scrollTop) >= 1) {
      if (corrections.current++ === 0) requestAnimationFrame(() => (corrections.current = 0));
      if (corrections.current > 20) pin.current = null;
      else setScrollTop(el.scrollTop);
    }
  });

  const r = heights.range(scrollTop, viewport, OVERSCAN_PX);
  useEffect(() => {
    p.data.ensure(ix.seq.subarray(r.start, r.end));
  }, [r.start, r.end, ix]);

  if (ix.count === 0) {
    return (
      <div class="state state-empty" data-testid="empty-state">
        <strong>Nothing to transcribe.</strong>
        <div class="state-body">This run has no LLM calls, tool calls, handoffs or failures{o.complete ? '' : ' in the steps loaded so far'}.</div>
      </div>
    );
  }
  const unpin = () => {
    pin.current = null;
  };
  const items: ComponentChildren[] = [];
  for (let i = r.start; i < r.end; i++) {
    const e = entryAt(ix, messages, i);
    items.push(
      <Measured key={i} index={i} ro={ro}>
        <EntryView data={p.data} o={o} e={e} prev={ix.prevTurn[i]} failure={failures.get(o.stepIds[e.seq])}
                   selected={e.seq === p.selected} onSelect={p.onSelect} />
      </Measured>,
    );
  }
  return (
    <div
      ref={ref}
      class="transcript vtranscript"
      data-testid="transcript"
      data-entry-count={ix.count}
      role="feed"
      aria-label={`transcript, ${ix.count} entries`}
      tabIndex={0}
      onScroll={(ev) => setScrollTop((ev.currentTarget as HTMLDivElement).scrollTop)}
      onWheel={unpin}
      onPointerDown={unpin}
      onKeyDown={unpin}
      onTouchStart={unpin}
    >
      <div class="vrows-spacer" style={{ height: `${r.totalHeight}px` }}>
        <div class="vrows-window" style={{ transform: `translateY(${r.offsetY}px)` }}>
          {items}
        </div>
      </div>
    </div>
  );
}
