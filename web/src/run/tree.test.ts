import { describe, expect, it } from 'vitest';
import { outlineFromDoc, outlineFromSteps } from './outline';
import { buildTree, defaultCollapsed, expandTo, visibleRows } from './tree';
import { doc } from './testutil';
import type { Step } from './types';

const ids = (o: { stepIds: string[] }, rows: Int32Array) => Array.from(rows, (i) => o.stepIds[i]);

describe('buildTree / visibleRows', () => {
  // root ─ a ─ a1
  //      │   └ a2
  //      └ b
  const o = outlineFromDoc(
    doc([
      { id: 'root', start: 0 },
      { id: 'a', parent: 'root', start: 1 },
      { id: 'a1', parent: 'a', start: 2 },
      { id: 'b', parent: 'root', start: 3 },
      { id: 'a2', parent: 'a', start: 4 }, // starts after b: execution order interleaves
    ]),
  );
  const t = buildTree(o);

  it('lists rows depth-first even when execution order interleaves subtrees', () => {
    expect(ids(o, visibleRows(t, new Uint8Array(o.count)))).toEqual(['root', 'a', 'a1', 'a2', 'b']);
    expect(Array.from(t.depth)).toEqual([0, 1, 2, 1, 2]);
  });

  it('hides the subtree of a collapsed step and shows it again when expanded to', () => {
    const collapsed = new Uint8Array(o.count);
    collapsed[1] = 1;
    expect(ids(o, visibleRows(t, collapsed))).toEqual(['root', 'a', 'b']);
    expect(expandTo(o, collapsed, 4)).toBe(true);
    expect(ids(o, visibleRows(t, collapsed))).toEqual(['root', 'a', 'a1', 'a2', 'b']);
    expect(expandTo(o, collapsed, 4)).toBe(false);
  });

  it('keeps several roots (orphans) in execution order', () => {
    const o2 = outlineFromDoc(doc([{ id: 'x', start: 0 }, { id: 'y', start: 1 }, { id: 'x1', parent: 'x', start: 2 }]));
    expect(ids(o2, visibleRows(buildTree(o2), new Uint8Array(3)))).toEqual(['x', 'x1', 'y']);
  });
});

describe('retry chains', () => {
  const o = outlineFromDoc(
    doc([
      { id: 'root', start: 0 },
      { id: 'try1', parent: 'root', start: 1, failed: true },
      { id: 'other', parent: 'root', start: 2 },
      { id: 'try2', parent: 'root', start: 3, retryOf: 'try1', failed: true },
      { id: 'try3', parent: 'root', start: 4, retryOf: 'try2' },
      { id: 'single', parent: 'root', start: 5 },
    ]),
  );
  const t = buildTree(o);

  it('groups the attempts of a chain together, in attempt order', () => {
    expect(ids(o, visibleRows(t, new Uint8Array(o.count)))).toEqual(['root', 'try1', 'try2', 'try3', 'other', 'single']);
  });

  it('numbers attempts N of M', () => {
    const at = (id: string) => o.index.get(id)!;
    expect([t.chainPos[at('try1')], t.chainLen[at('try1')]]).toEqual([1, 3]);
    expect([t.chainPos[at('try3')], t.chainLen[at('try3')]]).toEqual([3, 3]);
    expect(t.chainHead[at('try3')]).toBe(at('try1'));
    expect(t.chainLen[at('single')]).toBe(1);
  });
});

describe('hostile outlines', () => {
  it('drops parent links that point forward (cycles) or out of range', () => {
    const d = doc([{ id: 'a', start: 0 }, { id: 'b', start: 1 }]);
    d.parent = [1, 7]; // a's parent is b (later), b's parent does not exist
    const o = outlineFromDoc(d);
    expect(Array.from(o.parent)).toEqual([-1, -1]);
    expect(visibleRows(buildTree(o), new Uint8Array(2)).length).toBe(2);
  });

  it('rejects arrays of the wrong length, naming the array', () => {
    const d = doc([{ id: 'a', start: 0 }]);
    d.start_us = [];
    expect(() => outlineFromDoc(d)).toThrow(/"start_us" has 0 entries, expected 1/);
  });
});

describe('big runs', () => {
  it('builds and flattens 100,000 steps with everything open or collapsed by default', () => {
    const n = 100_000;
    const d = doc([{ id: 's0', start: 0 }]);
    for (let i = 1; i < n; i++) {
      d.step_id.push(`s${i}`);
      // every 40th step is an agent under the root; the others are its children
      d.parent.push(i % 40 === 1 ? 0 : i - ((i - 1) % 40));
      d.name.push(0); d.type.push(0); d.agent.push(0); d.status.push(0); d.failed.push(0);
      d.attempt.push(0); d.retry_of.push(-1); d.start_us.push(i); d.duration_us.push(1);
    }
    const o = outlineFromDoc(d);
    const t = buildTree(o);
    expect(visibleRows(t, new Uint8Array(n)).length).toBe(n);
    const collapsed = defaultCollapsed(t);
    const rows = visibleRows(t, collapsed);
    expect(rows.length).toBe(1 + Math.ceil((n - 1) / 40));
    expect(o.stepIds[rows[1]]).toBe('s1');
  });
});

describe('outlineFromSteps (first paint from a window)', () => {
  const step = (id: string, parent: string, offset: number, extra: Partial<Step> = {}) =>
    ({ step_id: id, parent_id: parent, name: id, type: 'llm', agent: 'a', status: 'ok', failure: null, attempt: 0,
       retry_of: '', offset_ms: offset, duration_ms: 2, ...extra }) as Step;

  it('links parents within the window and leaves unknown parents as roots', () => {
    const o = outlineFromSteps([step('r', '', 0), step('c', 'r', 1), step('x', 'gone', 2, { duration_ms: null, retry_of: 'c' })], false);
    expect(Array.from(o.parent)).toEqual([-1, 0, -1]);
    expect(Array.from(o.retryOf)).toEqual([-1, -1, 1]);
    expect(Array.from(o.startUs)).toEqual([0, 1000, 2000]);
    expect(o.durationUs[2]).toBe(-1);
    expect(o.complete).toBe(false);
  });
});
