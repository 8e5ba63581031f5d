// Run detail (#/runs/<id>?view=tree|timeline|graph|transcript&step=<step_id>): header, the four
// views and the step panel. First paint needs only the first window of steps; the outline
// (whole structure) and further windows load in the background.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { EmptyState, ErrorState, Loading, StatusBadge } from '../components';
import { formatCost, formatCount, formatDuration, formatTokens, formatTimestampTitle } from '../format';
import { buildHash } from '../url';
import { RunData } from './data';
import type { Annotation } from './types';
import { GraphView } from './GraphView';
import { StepPanel } from './StepPanel';
import { StepsView } from './StepsView';
import { TranscriptView } from './TranscriptView';
import { buildTree, defaultCollapsed, expandTo, visibleRows } from './tree';
import './run.css';

const VIEWS = ['tree', 'timeline', 'graph', 'transcript'] as const;
type View = (typeof VIEWS)[number];

export interface RunDetailProps {
  runId: string;
  query: URLSearchParams;
  navigate: (hash: string) => void;
}

/** Positive and errored triage classifications (negatives are the normal case and stay quiet). */
function TriageFindings(p: { annotations: Annotation[]; onStep: (id: string) => void }) {
  const shown = p.annotations.filter((a) => a.verdict !== 'negative');
  if (shown.length === 0) return null;
  return (
    <div class="agent-chips" data-testid="triage-findings" aria-label="triage findings">
      {shown.map((a) => (
        <span
          key={`${a.rubric_name}@${a.rubric_version}/${a.mode_id}`}
          class={`chip${a.verdict === 'positive' ? ' worse' : ''}`}
          data-testid="annotation"
          data-mode={a.mode_id}
          data-verdict={a.verdict}
          title={`${a.rubric_name}@${a.rubric_version} · ${a.detector} · confidence ${a.confidence.toFixed(2)}` +
            (a.excerpt ? `\n${a.excerpt}` : '') + (a.error ? `\nerror: ${a.error}` : '')}
        >
          {a.verdict === 'error' ? '⚠ ' : ''}
          <a href={`#/runs?annotation=${encodeURIComponent(a.mode_id)}`}>{a.mode_id}</a>
          {a.severity ? ` · ${a.severity}` : ''}
          {a.evidence_step_ids.length > 0 && (
            <>
              {' · '}
              <a href="#" onClick={(e) => { e.preventDefault(); p.onStep(a.evidence_step_ids[0]); }}>evidence →</a>
            </>
          )}
        </span>
      ))}
    </div>
  );
}

function Header(p: { data: RunData; onStep: (id: string) => void }) {
  const r = p.data.first.run;
  const agents = p.data.first.agents ?? [];
  const f = r.failure;
  return (
    <header class="run-header" data-testid="run-header">
      <div class="run-title">
        <a href="#/runs" class="muted small">← runs</a>
        <h1 title={r.run_id}>{r.name || r.run_id}</h1>
        <span data-testid="run-status"><StatusBadge status={r.status} /></span>
      </div>
      {f && (
        <div class={`failure-summary${f.recovered ? ' recovered' : ''}`} data-testid="failure-summary" role="status">
          <strong>{f.recovered ? 'Recovered failure' : 'Failure'}: {f.type} · {f.code}</strong> — {f.message}
          {f.step_id ? (
            <>
              {' '}
              <a href="#" data-testid="failure-step-link" onClick={(e) => { e.preventDefault(); p.onStep(f.step_id); }}>
                go to the causing step →
              </a>
            </>
          ) : (
            <span class="muted small"> (run-level: the root step failed)</span>
          )}
        </div>
      )}
      <dl class="run-facts">
        <div><dt>duration</dt><dd>{r.duration_ms === null ? 'running' : formatDuration(r.duration_ms)}</dd></div>
        <div><dt>steps</dt><dd data-testid="step-total">{formatCount(p.data.first.total_steps)}</dd></div>
        <div><dt>llm / tool</dt><dd>{formatCount(r.llm_count)} / {formatCount(r.tool_count)}</dd></div>
        <div><dt>errors</dt><dd class={r.error_count ? 'worse' : ''}>{formatCount(r.error_count)}</dd></div>
        <div><dt>retries</dt><dd>{formatCount(r.retry_count)}</dd></div>
        <div><dt>tokens</dt><dd title={`${r.tokens.input} in / ${r.tokens.output} out`}>{formatTokens(r.tokens.total)}</dd></div>
        <div><dt>cost</dt><dd>{formatCost(r.cost_usd)}</dd></div>
        <div><dt>started</dt><dd title={formatTimestampTitle(r.start_time)}>{r.start_time?.replace('T', ' ').slice(0, 19) ?? '—'}</dd></div>
        {r.agent_version && <div><dt>version</dt><dd>{r.agent_version}</dd></div>}
        {r.environment && <div><dt>env</dt><dd>{r.environment}</dd></div>}
        {r.session_id && <div><dt>session</dt><dd><a href={buildHash(['sessions', r.session_id])}>{r.session_id}</a></dd></div>}
        {r.models.length > 0 && <div><dt>models</dt><dd>{r.models.join(', ')}</dd></div>}
      </dl>
      <TriageFindings annotations={p.data.first.annotations ?? []} onStep={p.onStep} />
      {agents.length > 0 && (
        <div class="agent-chips">
          {agents.map((a) => (
            <span key={a.name} class={`chip${a.error_count ? ' worse' : ''}`} title={`${a.step_count} steps, ${a.error_count} errors, ${formatCost(a.cost_usd)}`}>
              {a.name || '(no agent)'} · {formatCount(a.step_count)}
            </span>
          ))}
        </div>
      )}
    </header>
  );
}

export function RunDetail(props: RunDetailProps) {
  const { runId, query, navigate } = props;
  const v = query.get('view');
  const view: View = (VIEWS as readonly string[]).includes(v ?? '') ? (v as View) : 'tree';
  const stepId = query.get('step') ?? '';

  const [data, setData] = useState<RunData | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [, setVersion] = useState(0);
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setData(null);
    setError(null);
    let d: RunData | null = null;
    let unsub = () => {};
    RunData.load(runId, ctl.signal).then(
      (loaded) => {
        if (ctl.signal.aborted) return;
        d = loaded;
        unsub = loaded.subscribe(() => setVersion((x) => x + 1));
        setData(loaded);
        // The outline after the first paint: the first window alone draws the first screen.
        setTimeout(() => loaded.loadOutline(), 0);
      },
      (e) => !ctl.signal.aborted && setError(e),
    );
    return () => {
      ctl.abort();
      unsub();
      d?.dispose();
    };
  }, [runId, nonce]);

  const outline = data?.outline;
  const tree = useMemo(() => (outline ? buildTree(outline) : null), [outline]);
  const collapsedRef = useRef<{ tree: unknown; c: Uint8Array }>({ tree: null, c: new Uint8Array(0) });
  if (tree && collapsedRef.current.tree !== tree) collapsedRef.current = { tree, c: defaultCollapsed(tree) };
  const [collapseGen, setCollapseGen] = useState(0);
  const selected = outline && stepId ? (outline.index.get(stepId) ?? -1) : -1;
  if (outline && selected >= 0) expandTo(outline, collapsedRef.current.c, selected);
  const rows = useMemo(
    () => (tree ? visibleRows(tree, collapsedRef.current.c) : new Int32Array(0)),
    [tree, collapseGen, selected],
  );

  const setQuery = (patch: Record<string, string | null>) => {
    const q = new URLSearchParams(query);
    for (const [k, val] of Object.entries(patch)) {
      if (val === null || val === '') q.delete(k);
      else q.set(k, val);
    }
    navigate(buildHash(['runs', runId], q));
  };
  const selectSeq = (seq: number) => outline && seq >= 0 && setQuery({ step: outline.stepIds[seq] });
  const toggle = (seq: number) => {
    collapsedRef.current.c[seq] ^= 1;
    setCollapseGen((g) => g + 1);
  };

  if (error) return <ErrorState error={error} onRetry={() => setNonce((n) => n + 1)} />;
  if (!data || !outline || !tree) return <Loading what="run" />;

  const tab = (name: View, label: string) => (
    <button
      type="button"
      role="tab"
      aria-selected={view === name}
      class={`tab${view === name ? ' on' : ''}`}
      data-testid={`tab-${name}`}
      onClick={() => setQuery({ view: name === 'tree' ? null : name })}
    >
      {label}
    </button>
  );

  let body;
  if (data.first.total_steps === 0) {
    body = (
      <EmptyState title="This run has no steps yet.">
        The run is known from its summary, but none of its spans are stored (they may still be in flight).
      </EmptyState>
    );
  } else if (view === 'tree' || view === 'timeline') {
    body = (
      <StepsView mode={view} data={data} outline={outline} tree={tree} rows={rows} collapsed={collapsedRef.current.c}
                 selected={selected} onSelect={selectSeq} onToggle={toggle} />
    );
  } else if (view === 'graph') {
    body = <GraphView data={data} outline={outline} selectedId={stepId} onSelect={selectSeq} />;
  } else {
    body = <TranscriptView data={data} outline={outline} selected={selected} onSelect={selectSeq} />;
  }

  return (
    <div class="run-detail">
      <Header data={data} onStep={(id) => setQuery({ step: id, view: view === 'graph' ? null : view === 'tree' ? null : view })} />
      <div class="tabs" role="tablist" aria-label="run views">
        {tab('tree', 'Tree')}
        {tab('timeline', 'Timeline')}
        {tab('graph', 'Graph')}
        {tab('transcript', 'Transcript')}
        <span class="spacer" />
        {!outline.complete && (
          <span class="muted small" aria-live="polite">
            {data.outlineError
              ? `showing the first ${formatCount(outline.count)} steps: the full outline failed to load (${(data.outlineError as Error).message})`
              : `loading the structure of all ${formatCount(data.first.total_steps)} steps…`}
          </span>
        )}
      </div>
      <div class={`run-body${stepId ? ' with-panel' : ''}`}>
        <div class="run-main">{body}</div>
        {stepId && (
          <StepPanel data={data} seq={selected} stepId={stepId} onClose={() => setQuery({ step: null })}
                     onSelectId={(id) => setQuery({ step: id })} />
        )}
      </div>
    </div>
  );
}
