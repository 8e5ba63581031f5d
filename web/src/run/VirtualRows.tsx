// A fixed-row-height virtual list: only the rows in view (plus overscan) exist in the DOM.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { scrollToRow, virtualRange } from './virtual';

export interface VirtualRowsProps {
  count: number;
  rowHeight: number;
  /** Row to bring into view when it changes (e.g. the selected step's row). */
  scrollTo: number;
  renderRow: (index: number) => ComponentChildren;
  /** Called with the rendered range, so callers can fetch the data those rows need. */
  onRange?: (start: number, end: number) => void;
  class?: string;
  testid?: string;
  role?: 'tree' | 'grid';
  label?: string;
  onKeyDown?: (e: KeyboardEvent) => void;
  header?: ComponentChildren;
}

export function VirtualRows(p: VirtualRowsProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setViewport(el.clientHeight || 600);
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setViewport(el.clientHeight || 600));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || p.scrollTo < 0) return;
    const next = scrollToRow(p.scrollTo, p.rowHeight, el.scrollTop, el.clientHeight);
    if (next !== el.scrollTop) {
      el.scrollTop = next;
      setScrollTop(next);
    }
  }, [p.scrollTo, p.count]);
  const r = virtualRange(p.count, p.rowHeight, scrollTop, viewport);
  useEffect(() => p.onRange?.(r.start, r.end), [r.start, r.end, p.count]);
  const rows: ComponentChildren[] = [];
  for (let i = r.start; i < r.end; i++) rows.push(p.renderRow(i));
  return (
    <div
      ref={ref}
      class={`vrows ${p.class ?? ''}`}
      data-testid={p.testid}
      role={p.role as 'tree' | 'grid' | undefined}
      aria-label={p.label}
      tabIndex={0}
      onKeyDown={p.onKeyDown}
      onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}
    >
      {p.header}
      <div class="vrows-spacer" style={{ height: `${r.totalHeight}px` }}>
        <div class="vrows-window" style={{ transform: `translateY(${r.offsetY}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
