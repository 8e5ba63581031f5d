// Run data loader: the first window (header + first steps, enough for the first paint), the
// outline (whole structure, fetched in the background), later windows of full steps fetched as
// rows scroll into view (bounded cache), and step content fetched on demand.
import { api, getJson } from '../api';
import type { Outline } from './outline';
import { outlineFromDoc, outlineFromSteps } from './outline';
import type { ContentDoc, OutlineDoc, RunDetailDoc, Step } from './types';
import { windowsFor } from './virtual';

export const FIRST_WINDOW = 200;
export const WINDOW = 200;
const MAX_WINDOWS = 100; // 20,000 full steps cached at most
const MAX_CONTENT = 200;

export class RunData {
  first: RunDetailDoc;
  outline: Outline;
  outlineError: unknown = null;
  private windows = new Map<number, Step[]>(); // insertion order = LRU order
  private byId = new Map<string, Step>();
  private pending = new Map<number, Promise<void>>();
  private content = new Map<string, Promise<ContentDoc>>();
  private listeners = new Set<() => void>();
  private ctl = new AbortController();
  version = 0; // bumps on every change, for memo keys

  constructor(readonly runId: string, first: RunDetailDoc) {
    this.first = first;
    this.outline = outlineFromSteps(first.steps, first.steps.length >= first.total_steps);
    this.addWindow(0, first.steps);
  }

  static async load(runId: string, signal: AbortSignal): Promise<RunData> {
    const q = new URLSearchParams({ limit: String(FIRST_WINDOW) });
    const first = await api.run<RunDetailDoc>(runId, q, signal);
    return new RunData(runId, first);
  }

  /** Fetches the outline unless the first window already held every step. */
  loadOutline(): void {
    if (this.outline.complete) return;
    getJson<OutlineDoc>(`/api/runs/${encodeURIComponent(this.runId)}/outline`, undefined, this.ctl.signal)
      .then((doc) => {
        this.outline = outlineFromDoc(doc);
        this.changed();
      })
      .catch((e) => {
        if ((e as Error).name === 'AbortError') return;
        this.outlineError = e;
        this.changed();
      });
  }

  dispose(): void {
    this.ctl.abort();
    this.listeners.clear();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  private addWindow(offset: number, steps: Step[]): void {
    this.windows.set(offset, steps);
    for (const s of steps) this.byId.set(s.step_id, s);
    while (this.windows.size > MAX_WINDOWS) {
      const [oldest, old] = this.windows.entries().next().value as [number, Step[]];
      if (oldest === 0) {
        // keep the first window (header context); move it to the back
        this.windows.delete(0);
        this.windows.set(0, old);
        continue;
      }
      this.windows.delete(oldest);
      for (const s of old) if (this.byId.get(s.step_id) === s) this.byId.delete(s.step_id);
    }
  }

  /** The full step when its window is loaded. */
  step(seq: number): Step | undefined {
    const id = this.outline.stepIds[seq];
    return id === undefined ? undefined : this.byId.get(id);
  }

  stepById(id: string): Step | undefined {
    return this.byId.get(id);
  }

  /** Requests the windows holding these seqs (no-op for loaded or in-flight ones). */
  ensure(seqs: ArrayLike<number>): void {
    const need = windowsFor(seqs, WINDOW, (off) => this.windows.has(off) || this.pending.has(off));
    for (const off of need.slice(0, 6)) {
      const q = new URLSearchParams({ offset: String(off), limit: String(WINDOW), steps_only: '1' });
      const p = api
        .run<RunDetailDoc>(this.runId, q, this.ctl.signal)
        .then((doc) => {
          this.addWindow(off, doc.steps);
          this.changed();
        })
        .catch(() => {
          // a failed window leaves its rows in outline form; scrolling retries it
        })
        .finally(() => this.pending.delete(off));
      this.pending.set(off, p);
    }
  }

  /** Step content, cached per step (bounded). */
  stepContent(stepId: string): Promise<ContentDoc> {
    let p = this.content.get(stepId);
    if (!p) {
      p = api.stepContent<ContentDoc>(this.runId, stepId, this.ctl.signal);
      p.catch(() => this.content.delete(stepId));
      this.content.set(stepId, p);
      if (this.content.size > MAX_CONTENT) this.content.delete(this.content.keys().next().value as string);
    }
    return p;
  }
}
