// Shared UI pieces: loading / empty / error states, the data-fetch hook and keyboard tables.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

export function ErrorState(props: { error: unknown; onRetry?: () => void }) {
  const e = props.error;
  const msg = e instanceof Error ? e.message : String(e);
  const status = e instanceof ApiError && e.status ? ` (HTTP ${e.status})` : '';
  return (
    <div class="state state-error" data-testid="error-state" role="alert">
      <strong>The request failed{status}.</strong>
      <p class="mono">{msg}</p>
      {props.onRetry && (
        <button type="button" onClick={props.onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function EmptyState(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state-empty" data-testid="empty-state">
      <strong>{props.title}</strong>
      {props.children && <div class="state-body">{props.children}</div>}
    </div>
  );
}

export function Loading(props: { what?: string }) {
  return (
    <div class="state state-loading" aria-busy="true">
      Loading{props.what ? ` ${props.what}` : ''}…
    </div>
  );
}

export interface Fetched<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `fn` whenever `key` changes, aborting the previous request; stale answers are dropped. */
export function useFetch<T>(key: string, fn: (signal: AbortSignal) => Promise<T>): Fetched<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [nonce, setNonce] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ data: s.data, loading: true }));
    fnRef.current(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data, loading: false });
      },
      (error) => {
        if (!ctl.signal.aborted) setState({ error, loading: false });
      },
    );
    return () => ctl.abort();
  }, [key, nonce]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

/**
 * Keyboard navigation for a list of rows: j/k or arrow keys move the cursor, Enter opens.
 * Returns the active index; the caller marks that row (class + aria-selected) and scrolls it in.
 */
export function useRowKeys(count: number, onOpen: (index: number) => void): [number, (i: number) => void] {
  const [active, setActive] = useState(-1);
  const openRef = useRef(onOpen);
  openRef.current = onOpen;
  useEffect(() => {
    if (active >= count) setActive(count - 1);
  }, [count, active]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target) || count === 0) return;
      // Moving the row cursor takes focus off a clicked button or link, so Enter opens the row.
      const leaveControl = () => {
        const ae = document.activeElement as HTMLElement | null;
        if (ae && (ae.tagName === 'BUTTON' || ae.tagName === 'A')) ae.blur();
      };
      if (e.key === 'j' || e.key === 'ArrowDown') {
        leaveControl();
        setActive((a) => Math.min(count - 1, a + 1));
        e.preventDefault();
      } else if (e.key === 'k' || e.key === 'ArrowUp') {
        leaveControl();
        setActive((a) => Math.max(0, a - 1));
        e.preventDefault();
      } else if (e.key === 'Enter' && active >= 0 && (e.target as HTMLElement)?.tagName !== 'BUTTON' &&
                 (e.target as HTMLElement)?.tagName !== 'A') {
        openRef.current(active);
        e.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [count, active]);
  useEffect(() => {
    if (active < 0) return;
    const el = document.querySelector(`[data-row-index="${active}"]`) as HTMLElement | null;
    el?.scrollIntoView?.({ block: 'nearest' });
  }, [active]);
  return [active, setActive];
}

/** Status pill, coloured by CSS class. */
export function StatusBadge(props: { status: string }) {
  return <span class={`badge status-${props.status}`}>{props.status}</span>;
}
