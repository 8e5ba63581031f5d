// The step tree and the timeline (waterfall): one virtualized row list over the same visible
// rows, so selection, collapse state and scroll position carry between the two tabs.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatCost, formatDuration, formatTokens } from '../format';
import type { RunData } from './data';
import type { Outline } from './outline';
import { isError, outlineSpanUs, stepAgent, stepName, stepStatus, stepType } from './outline';
import type { Scale } from './timeline';
import { barFor, fitScale, formatOffsetUs, pan, rangeFromDrag, ticks, wheelFactor, zoom, zoomAtFrac } from './timeline';
import type { Tree } from './tree';
import { childCount } from './tree';
import { VirtualRows } from './VirtualRows';
import './timeline.css';

/** A drag selecting a time range: client x of its start and end, and the bar area it is measured on. */
interface Drag {
  left: number; // the bar area's left edge (client px)
  width: number;
  x0: number;
  x1: number;
}

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
  const s: Scale = scale && scale.endUs <= totalUs ? scale : fitScale(totalUs, width);
  const [drag, setDrag] = useState<Drag | null>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const axisRef = useRef<HTMLDivElement>(null);
  const justDragged = useRef(false);
  // The handlers below read the current scale through a ref: the wheel listener is attached once.
  const sRef = useRef(s);
  sRef.current = s;
  const totalRef = useRef(totalUs);
  totalRef.current = totalUs;

  /** The bar area under a pointer (a row's track, else the axis) and the pointer's fraction of it. */
  const trackAt = (target: EventTarget | null, clientX: number) => {
    const el = ((target as Element | null)?.closest?.('.bar-track') as HTMLElement | null) ?? axisRef.current;
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { left: r.left, width: r.width, frac: r.width > 0 ? (clientX - r.left) / r.width : 0.5 };
  };

  // Ctrl/⌘ + wheel zooms around the pointer. A non-passive listener, so the browser's own page
  // zoom does not happen too.
  useEffect(() => {
    const el = rootRef.current;
    if (!el || p.mode !== 'timeline') return;
    const onWheel = (e: WheelEvent) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      e.preventDefault();
      const t = trackAt(e.target, e.clientX);
      setScale(zoomAtFrac(sRef.current, wheelFactor(e.deltaY, e.deltaMode), t ? t.frac : 0.5, totalRef.current));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [p.mode]);

  // Drag on the axis (or Shift + drag over the bars) selects a range to zoom to.
  const startDrag = (e: PointerEvent, onAxis: boolean) => {
    if (e.button !== 0 || (!onAxis && !e.shiftKey)) return;
    const t = trackAt(onAxis ? axisRef.current : e.target, e.clientX);
    if (!t || t.width <= 0) return;
    if (!onAxis && !(e.target as Element).closest?.('.bar-track')) return;
    e.preventDefault();
    let d: Drag = { left: t.left, width: t.width, x0: e.clientX, x1: e.clientX };
    setDrag(d);
    const move = (ev: PointerEvent) => {
      d = { ...d, x1: ev.clientX };
      setDrag(d);
    };
    const up = (ev: PointerEvent) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      window.removeEventListener('pointercancel', up);
      setDrag(null);
      if (ev.type === 'pointercancel') return;
      const next = rangeFromDrag(sRef.current, (d.x0 - d.left) / d.width, (ev.clientX - d.left) / d.width, totalRef.current);
      if (next) {
        setScale(next);
        // The click that follows a drag over the bars must not select the row under it.
        justDragged.current = true;
        setTimeout(() => (justDragged.current = false), 0);
      }
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
    window.addEventListener('pointercancel', up);
  };

  const timelineKey = (e: KeyboardEvent): boolean => {
    if (e.key === 'ArrowLeft') setScale(pan(s, e.shiftKey ? -0.5 : -0.2, totalUs));
    else if (e.key === 'ArrowRight') setScale(pan(s, e.shiftKey ? 0.5 : 0.2, totalUs));
    else if (e.key === '+' || e.key === '=') setScale(zoom(s, 0.5, (s.startUs + s.endUs) / 2, totalUs));
    else if (e.key === '-' || e.key === '_') setScale(zoom(s, 2, (s.startUs + s.endUs) / 2, totalUs));
    else if (e.key === '0') setScale(null);
    else return false;
    return true;
  };

  const move = (delta: number) => {
    const i = Math.max(0, Math.min(rows.length - 1, (selectedRow < 0 ? 0 : selectedRow) + delta));
    if (rows.length) p.onSelect(rows[i]);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const sel = p.selected;
    // In the timeline, ←/→ pan and +/−/0 zoom; collapse stays on Enter/Space.
    if (p.mode === 'timeline' && timelineKey(e)) {
      e.preventDefault();
      return;
    }
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
          <button type="button" data-testid="timeline-reset" onClick={() => setScale(null)} title="fit the whole run (or double-click the axis, or press 0)">reset</button>
          {p.selected >= 0 && (
            <button type="button" onClick={() => {
              const sel = p.selected;
              const d = Math.max(1, o.durationUs[sel]);
              setScale(zoom({ startUs: o.startUs[sel] - d * 0.1, endUs: o.startUs[sel] + d * 1.1, width }, 1, o.startUs[sel], totalUs));
            }}>zoom to step</button>
          )}
        </div>
        <div
          ref={axisRef}
          class="bar-track ticks tl-axis"
          data-testid="timeline-axis"
          data-range-start-us={Math.round(s.startUs)}
          data-range-end-us={Math.round(s.endUs)}
          tabIndex={0}
          role="slider"
          aria-label="time axis: drag to zoom to a range, double-click to fit, Ctrl+wheel to zoom, arrow keys to pan, + and − to zoom"
          aria-valuemin={0}
          aria-valuemax={Math.round(totalUs)}
          aria-valuenow={Math.round(s.startUs)}
          aria-valuetext={`${formatOffsetUs(s.startUs)} to ${formatOffsetUs(s.endUs)}`}
          title="drag to zoom · double-click to fit · Ctrl/⌘+wheel to zoom"
          onPointerDown={(e) => startDrag(e, true)}
          onDblClick={() => setScale(null)}
          onKeyDown={(e) => {
            if (!e.altKey && !e.ctrlKey && !e.metaKey && timelineKey(e)) e.preventDefault();
          }}
        >
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

  const band = drag && drag.width > 0 && (() => {
    const root = rootRef.current?.getBoundingClientRect();
    if (!root) return null;
    const a = Math.max(drag.left, Math.min(drag.x0, drag.x1));
    const b = Math.min(drag.left + drag.width, Math.max(drag.x0, drag.x1));
    return <div class="tl-select" data-testid="timeline-selection" style={{ left: `${a - root.left}px`, width: `${Math.max(0, b - a)}px` }} />;
  })();

  return (
    <div
      ref={rootRef}
      class={`steps-view steps-${p.mode}${drag ? ' dragging' : ''}`}
      onPointerDown={p.mode === 'timeline' ? (e) => (e.target as Element).closest?.('.tl-axis') || startDrag(e, false) : undefined}
      onClickCapture={(e) => {
        if (justDragged.current) {
          e.stopPropagation();
          e.preventDefault();
        }
      }}
    >
      {header}
      {band}
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
