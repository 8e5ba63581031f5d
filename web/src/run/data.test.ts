import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunData, WINDOW } from './data';
import type { RunDetailDoc, Step } from './types';

const step = (seq: number, parent = ''): Step =>
  ({ seq, step_id: `s${seq}`, parent_id: parent, name: `n${seq}`, type: 'tool', agent: 'a', status: 'ok', failure: null,
     attempt: 0, retry_of: '', offset_ms: seq, duration_ms: 1, content: [], events: [], attributes: {} }) as unknown as Step;

function firstDoc(total: number, n: number): RunDetailDoc {
  return { run: {} as RunDetailDoc['run'], steps: Array.from({ length: n }, (_, i) => step(i, i ? 's0' : '')), total_steps: total,
           offset: 0, limit: n, agents: [], messages: [], failures: [] };
}

afterEach(() => vi.unstubAllGlobals());

describe('RunData', () => {
  it('paints from the first window and marks the outline partial for big runs', () => {
    const d = new RunData('r', firstDoc(1000, 3));
    expect(d.outline.complete).toBe(false);
    expect(d.outline.count).toBe(3);
    expect(d.step(2)?.step_id).toBe('s2');
  });

  it('fetches each missing window once, with steps_only, and serves its steps', async () => {
    const urls: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      urls.push(url);
      const off = Number(new URL(url, 'http://x').searchParams.get('offset'));
      const steps = Array.from({ length: WINDOW }, (_, i) => step(off + i));
      return new Response(JSON.stringify({ steps, total_steps: 1000, offset: off, limit: WINDOW }), { status: 200 });
    });
    const d = new RunData('r', firstDoc(1000, WINDOW));
    // Pretend the outline arrived (seq -> step id), so later windows can be matched by id.
    d.outline.stepIds.push(...Array.from({ length: 800 }, (_, i) => `s${WINDOW + i}`));
    const changed = new Promise<void>((resolve) => d.subscribe(() => resolve()));
    d.ensure([5, 450, 460, 0]);
    d.ensure([455]); // in flight: not fetched twice
    await changed;
    await new Promise((r) => setTimeout(r, 0));
    expect(urls).toHaveLength(1);
    expect(urls[0]).toContain('offset=400');
    expect(urls[0]).toContain('steps_only=1');
    expect(d.step(455)?.step_id).toBe('s455');
  });

  it('reports API errors with the server message', async () => {
    vi.stubGlobal('fetch', async () =>
      new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'run nope not found' } }), { status: 404 }));
    await expect(RunData.load('nope', new AbortController().signal)).rejects.toThrow('run nope not found');
  });
});
