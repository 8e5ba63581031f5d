// The step tree and the timeline (waterfall): one virtualized row list over the same visible
// rows, so selection, collapse state and scroll position carry between the two tabs.
import { useMemo, useState } from 'preact/hooks';
import { formatCost, formatDuration, formatTokens } from '../format';
import type { RunData } from './data';
import type { Outline } from './outline';
import { isError, outlineSpanUs, stepAgent, stepName, stepStatus, stepType } from './outline';
import type { Scale } from './timeline';
import { barFor, formatOffsetUs, ticks, zoom } from './timeline';
import type { Tree } from './tree';
import { childCount } from './tree';
import { VirtualRows } from './VirtualRows';

export const ROW_H = 24;

export interface StepsViewProps {
  mode: 'tree' | 'timeline';
  data: RunData;
  outline: Outline;
  tree: Tree;
  rows: Int32Array;
  collapsed: Uint8Array;
  selected: number; // seq, -1 none
  onSelect: (seq: number) => void;
  onToggle: (seq: number) => void;
}

function RetryBadge(p: { tree: Tree; seq: number; attempt: number }) {
  const len = p.tree.chainLen[p.seq];
  if (len > 1) {
    return (
      <span class="retry-badge" data-testid="retry-badge" title="retry chain: attempts of the same call">
        attempt {p.tree.chainPos[p.seq]} of {len}
      </span>
    );
  }
  if (p.attempt > 1) {
    return (
      <span class="retry-badge" data-testid="retry-badge" title="reported attempt number">
        attempt {p.attempt}
      </span>
    );
  }
  return null;
}

export function StepsView(p: StepsViewProps) {
  const { outline: o, tree: t, rows } = p;
  const selectedRow = useMemo(() => (p.selected < 0 ? -1 : rows.indexOf(p.selected)), [rows, p.selected]);
  const totalUs = useMemo(() => outlineSpanUs(o), [o]);
  const [scale, setScale] = useState<Scale | null>(null);
  const width = 600; // bar area in px; CSS scales the SVG-free bars by percentage
  const s: Scale = scale && scale.endUs <= totalUs ? scale : { startUs: 0, endUs: totalUs, width };

  const move = (delta: number) => {
    const i = Math.max(0, Math.min(rows.length - 1, (selectedRow < 0 ? 0 : selectedRow) + delta));
    if (rows.length) p.onSelect(rows[i]);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const sel = p.selected;
    if (e.key === 'ArrowDown' || e.key === 'j') move(1);
    else if (e.key === 'ArrowUp' || e.key === 'k') move(-1);
    else if (e.key === 'PageDown') move(20);
    else if (e.key === 'PageUp') move(-20);
    else if (e.key === 'Home') move(-rows.length);
    else if (e.key === 'End') move(rows.length);
    else if (e.key === 'ArrowRight' && sel >= 0 && p.collapsed[sel] && childCount(t, sel) > 0) p.onToggle(sel);
    else if (e.key === 'ArrowLeft' && sel >= 0) {
      if (!p.collapsed[sel] && childCount(t, sel) > 0) p.onToggle(sel);
      else if (o.parent[sel] >= 0) p.onSelect(o.parent[sel]);
    } else if ((e.key === 'Enter' || e.key === ' ') && sel >= 0 && childCount(t, sel) > 0) p.onToggle(sel);
    else return;
    e.preventDefault();
  };

  const renderRow = (index: number) => {
    const seq = rows[index];
    const step = p.data.step(seq);
    const sel = seq === p.selected;
    const kids = childCount(t, seq);
    const err = isError(o, seq);
    const type = stepType(o, seq);
    const indent = { paddingLeft: `${4 + Math.min(t.depth[seq], 40) * 14}px` };
    const twisty = kids > 0 ? (
      <button
        type="button"
        class="twisty"
        tabIndex={-1}
        aria-label={p.collapsed[seq] ? `expand ${kids} children` : 'collapse'}
        onClick={(e) => {
          e.stopPropagation();
          p.onToggle(seq);
        }}
      >
        {p.collapsed[seq] ? '▸' : '▾'}
      </button>
    ) : (
      <span class="twisty" />
    );
    const label = (
      <div class="step-label" style={indent}>
        {twisty}
        <span class={`type-chip type-${type}`}>{type}</span>
        <span class="step-name" title={stepName(o, seq)}>
          {stepName(o, seq)}
        </span>
        {p.collapsed[seq] > 0 && kids > 0 && <span class="muted small"> +{kids}</span>}
        <RetryBadge tree={t} seq={seq} attempt={o.attempt[seq]} />
        {err && <span class="err-dot" title="failed">●</span>}
      </div>
    );
    const common = {
      key: seq,
      class: `step-row${sel ? ' selected' : ''}${err ? ' error' : ''}`,
      style: { height: `${ROW_H}px` },
      onClick: () => p.onSelect(seq),
    };
    if (p.mode === 'tree') {
      return (
        <div {...common} role="treeitem" aria-selected={sel ? 'true' : 'false'} aria-level={t.depth[seq] + 1}
             aria-expanded={kids > 0 ? (p.collapsed[seq] ? 'false' : 'true') : undefined}
             data-testid="tree-row" data-step-id={o.stepIds[seq]}>
          {label}
          <span class="col col-agent muted">{stepAgent(o, seq)}</span>
          <span class="col col-model muted">{step?.model ?? ''}</span>
          <span class="col col-num">{step ? formatTokens(step.tokens.total || null) : ''}</span>
          <span class="col col-num">{step && step.cost_usd ? formatCost(step.cost_usd) : ''}</span>
          <span class={`col col-num${stepStatus(o, seq) === 'error' ? ' worse' : ''}`}>
            {o.durationUs[seq] < 0 ? 'open' : formatDuration(o.durationUs[seq] / 1000)}
          </span>
        </div>
      );
    }
    const bar = barFor(s, o.startUs[seq], o.durationUs[seq], totalUs);
    return (
      <div {...common} role="row" aria-selected={sel ? 'true' : 'false'} data-step-id={o.stepIds[seq]}>
        {label}
        <div class="bar-track">
          {bar && (
            <div
              class={`bar type-${type}${err ? ' error' : ''}${o.durationUs[seq] < 0 ? ' open' : ''}`}
              data-testid="timeline-bar"
              data-step-id={o.stepIds[seq]}
              data-selected={sel ? 'true' : 'false'}
              style={{ left: `${(bar.x / width) * 100}%`, width: `${(bar.w / width) * 100}%` }}
              title={`${stepName(o, seq)} · +${formatOffsetUs(o.startUs[seq])} · ${o.durationUs[seq] < 0 ? 'open' : formatOffsetUs(o.durationUs[seq])}`}
            />
          )}
        </div>
      </div>
    );
  };

  const header =
    p.mode === 'timeline' ? (
      <div class="tl-header">
        <div class="step-label muted small">
          <button type="button" onClick={() => setScale(zoom(s, 0.5, (s.startUs + s.endUs) / 2, totalUs))} aria-label="zoom in">+</button>
          <button type="button" onClick={() => setScale(zoom(s, 2, (s.startUs + s.endUs) / 2, totalUs))} aria-label="zoom out">−</button>
          <button type="button" onClick={() => setScale(null)}>fit</button>
          {p.selected >= 0 && (
            <button type="button" onClick={() => {
              const sel = p.selected;
              const d = Math.max(1, o.durationUs[sel]);
              setScale(zoom({ startUs: o.startUs[sel] - d * 0.1, endUs: o.startUs[sel] + d * 1.1, width }, 1, o.startUs[sel], totalUs));
            }}>zoom to step</button>
          )}
        </div>
        <div class="bar-track ticks">
          {ticks(s).map((tk) => (
            <span key={tk} class="tick" style={{ left: `${((tk - s.startUs) / (s.endUs - s.startUs)) * 100}%` }}>
              {formatOffsetUs(tk)}
            </span>
          ))}
        </div>
      </div>
    ) : (
      <div class="tree-header muted small">
        <span class="step-label">step</span>
        <span class="col col-agent">agent</span>
        <span class="col col-model">model</span>
        <span class="col col-num">tokens</span>
        <span class="col col-num">cost</span>
        <span class="col col-num">duration</span>
      </div>
    );

  return (
    <div class={`steps-view steps-${p.mode}`}>
      {header}
      <VirtualRows
        count={rows.length}
        rowHeight={ROW_H}
        scrollTo={selectedRow}
        renderRow={renderRow}
        onRange={(a, b) => p.data.ensure(rows.subarray(a, b))}
        role={p.mode === 'tree' ? 'tree' : 'grid'}
        label={p.mode === 'tree' ? 'step tree' : 'timeline'}
        testid={p.mode === 'tree' ? 'step-tree' : 'timeline'}
        onKeyDown={onKeyDown}
      />
    </div>
  );
}
