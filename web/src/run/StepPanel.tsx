// The selected step: identity, timing, tokens and cost, the failure with its code, attributes,
// events, and content fetched on demand (long values collapsed, JSON pretty-printed).
import { useEffect, useState } from 'preact/hooks';
import { formatCost, formatDuration, formatTokens } from '../format';
import { clip, formatBytes, prettyValue } from './content';
import type { RunData } from './data';
import type { ContentDoc, ContentField, Step } from './types';

export function Collapsible(p: { text: string; testid?: string }) {
  const [open, setOpen] = useState(false);
  const c = clip(p.text, open);
  return (
    <div class="collapsible" data-testid={p.testid}>
      <pre class="content-pre">{c.text}{c.cut ? '…' : ''}</pre>
      {(c.cut || open) && p.text.length > 0 && (
        <button type="button" class="link-btn" onClick={() => setOpen(!open)}>
          {open ? 'Show less' : `Show all (${formatBytes(p.text.length)})`}
        </button>
      )}
    </div>
  );
}

function ContentFieldView(p: { f: ContentField }) {
  const parts = p.f.is_list && Array.isArray(p.f.value) ? (p.f.value as unknown[]) : [p.f.value];
  return (
    <div class="content-field">
      <h3>
        {p.f.name} <span class="muted small">{p.f.mime}{p.f.is_list ? ` · ${parts.length} parts` : ''}</span>
      </h3>
      {parts.map((v, i) => (
        <Collapsible key={i} text={prettyValue(v, p.f.mime)} />
      ))}
    </div>
  );
}

export function StepContent(p: { data: RunData; step: Step }) {
  const [doc, setDoc] = useState<ContentDoc | null>(null);
  const [err, setErr] = useState<string>('');
  useEffect(() => {
    setDoc(null);
    setErr('');
    if (p.step.content.length === 0) return;
    let live = true;
    p.data.stepContent(p.step.step_id).then(
      (d) => live && setDoc(d),
      (e) => live && setErr((e as Error).message),
    );
    return () => {
      live = false;
    };
  }, [p.step.step_id]);
  if (p.step.content.length === 0) return <p class="muted small">This step recorded no content (prompts, completions or tool I/O).</p>;
  if (err) return <p class="worse small" data-testid="error-state">Content could not be loaded: {err}</p>;
  if (!doc) {
    return (
      <p class="muted small" aria-busy="true">
        Loading content: {p.step.content.map((c) => `${c.name} (${formatBytes(c.bytes)})`).join(', ')}…
      </p>
    );
  }
  return (
    <div data-testid="step-content">
      {doc.content.map((f) => (
        <ContentFieldView key={f.name} f={f} />
      ))}
    </div>
  );
}

function Attrs(p: { attrs: Record<string, unknown> | string }) {
  if (typeof p.attrs === 'string') return <Collapsible text={prettyValue(p.attrs)} />;
  const keys = Object.keys(p.attrs).sort();
  if (keys.length === 0) return <p class="muted small">none</p>;
  return (
    <table class="kv">
      <tbody>
        {keys.map((k) => {
          const v = p.attrs as Record<string, unknown>;
          const text = typeof v[k] === 'string' ? (v[k] as string) : JSON.stringify(v[k]);
          return (
            <tr key={k}>
              <th class="mono">{k}</th>
              <td class="mono">{text.length > 300 ? <Collapsible text={prettyValue(v[k])} /> : text}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function StepPanel(p: { data: RunData; seq: number; stepId: string; onClose: () => void; onSelectId: (id: string) => void }) {
  const known = p.seq >= 0 || !p.data.outline.complete; // unknown ids are only judged once the outline is in
  const step = p.seq >= 0 ? p.data.step(p.seq) : p.data.stepById(p.stepId);
  useEffect(() => {
    if (!step && p.seq >= 0) p.data.ensure([p.seq]);
  }, [p.seq, step]);
  return (
    <aside class="step-panel" data-testid="step-panel" aria-label="step details">
      <div class="panel-head">
        <strong class="panel-title">{step?.name ?? p.stepId}</strong>
        <button type="button" class="link-btn" onClick={p.onClose} aria-label="close step panel">✕</button>
      </div>
      {!step ? (
        <p class="muted" aria-busy="true">{known ? 'Loading step…' : `Step ${p.stepId} is not part of this run.`}</p>
      ) : (
        <StepBody {...p} step={step} />
      )}
    </aside>
  );
}

function StepBody(p: { data: RunData; step: Step; onSelectId: (id: string) => void }) {
  const s = p.step;
  const link = (id: string) =>
    id ? (
      <a href="#" onClick={(e) => { e.preventDefault(); p.onSelectId(id); }} class="mono">{id}</a>
    ) : (
      <span class="muted">—</span>
    );
  return (
    <div class="panel-body">
      {s.failure && (
        <div class="step-failure" data-testid="step-failure" role="alert">
          <strong>{s.failure.type} · {s.failure.code}</strong>
          {s.failure.recovered && <span class="badge status-ok">recovered</span>}
          <div>{s.failure.message}</div>
          <div class="muted small">
            source {s.failure.source}{s.failure.error_type ? ` · ${s.failure.error_type}` : ''}
          </div>
        </div>
      )}
      <table class="kv">
        <tbody>
          <tr><th>type</th><td>{s.type}{s.tool_name ? ` · ${s.tool_name}` : ''}</td></tr>
          <tr><th>status</th><td class={s.status === 'error' ? 'worse' : ''}>{s.status}{s.status_message ? ` — ${s.status_message}` : ''}</td></tr>
          <tr><th>agent</th><td>{s.agent || '—'}</td></tr>
          {s.model && <tr><th>model</th><td>{s.model}{s.provider ? ` (${s.provider})` : ''}{s.finish_reason ? ` · finish ${s.finish_reason}` : ''}</td></tr>}
          <tr><th>start</th><td>+{formatDuration(s.offset_ms)} <span class="muted small">{s.start_time}</span></td></tr>
          <tr><th>duration</th><td>{s.duration_ms === null ? 'still open' : formatDuration(s.duration_ms)}</td></tr>
          {s.tokens.total > 0 && (
            <tr><th>tokens</th><td>{formatTokens(s.tokens.input)} in · {formatTokens(s.tokens.output)} out
              {s.tokens.cache_read ? ` · ${formatTokens(s.tokens.cache_read)} cached` : ''}
              {s.tokens.reasoning ? ` · ${formatTokens(s.tokens.reasoning)} reasoning` : ''}</td></tr>
          )}
          {s.cost_usd > 0 && <tr><th>cost</th><td>{formatCost(s.cost_usd)}{s.cost_explicit ? '' : <span class="muted small"> (price table)</span>}</td></tr>}
          {(s.attempt > 0 || s.retry_of) && <tr><th>attempt</th><td>{s.attempt || '?'}{s.retry_of ? <> · retries {link(s.retry_of)}</> : ''}</td></tr>}
          {(s.handoff_from || s.handoff_to) && <tr><th>handoff</th><td>{s.handoff_from || '?'} → {s.handoff_to || '?'}</td></tr>}
          <tr><th>step id</th><td class="mono">{s.step_id}</td></tr>
          <tr><th>parent</th><td>{link(s.parent_id)}</td></tr>
          {s.linked_steps.length > 0 && <tr><th>links</th><td>{s.linked_steps.map((id) => <span key={id}>{link(id)} </span>)}</td></tr>}
        </tbody>
      </table>
      <h3>Content</h3>
      <StepContent data={p.data} step={s} />
      <h3>Attributes</h3>
      <Attrs attrs={s.attributes} />
      <h3>Events ({s.events.length})</h3>
      {s.events.length === 0 ? (
        <p class="muted small">none</p>
      ) : (
        s.events.map((e, i) => (
          <div key={i} class="event">
            <strong>{e.name}</strong> <span class="muted small">{e.time}</span>
            <Attrs attrs={e.attributes} />
            {e.body !== null && e.body !== undefined && <Collapsible text={prettyValue(e.body)} />}
          </div>
        ))
      )}
    </div>
  );
}
