import { describe, expect, it } from 'vitest';
import { agentGraph, executionGraph, layoutGraph, NODE_H, NODE_W } from './graph';
import { outlineFromDoc } from './outline';
import { doc } from './testutil';
import type { AgentMessage, AgentRow } from './types';

const agent = (name: string, errors = 0): AgentRow =>
  ({ name, step_count: 3, llm_count: 1, tool_count: 1, error_count: errors, tokens: {} as AgentRow['tokens'], cost_usd: 0, first_start_time: null });
const msg = (from: string, to: string, kind: string): AgentMessage =>
  ({ from_agent: from, to_agent: to, kind, step_id: '', time: null, time_unix_nano: null });

describe('agentGraph', () => {
  it('aggregates messages into counted edges and adds agents only seen in messages', () => {
    const g = agentGraph([agent('sup'), agent('res', 2)], [msg('sup', 'res', 'handoff'), msg('sup', 'res', 'handoff'), msg('sup', 'res', 'invoke'), msg('res', 'critic', 'message')]);
    expect(g.nodes.map((n) => n.id)).toEqual(['sup', 'res', 'critic']);
    expect(g.nodes[1].error).toBe(true);
    expect(g.edges).toEqual([
      { from: 'sup', to: 'res', count: 3, label: '3× handoff 2, invoke 1' },
      { from: 'res', to: 'critic', count: 1, label: '1× message' },
    ]);
  });
});

describe('executionGraph', () => {
  const o = outlineFromDoc(
    doc([
      { id: 'root', agent: 'sup', start: 0, dur: 100 },
      { id: 'a', parent: 'root', agent: 'sup', start: 1, dur: 10 },
      { id: 'b', parent: 'root', agent: 'sup', start: 20, dur: 10 }, // after a ended: sequential
      { id: 'c', parent: 'root', agent: 'res', start: 25, dur: 10 }, // overlaps b: forks from root
      { id: 'c1', parent: 'c', agent: 'res', start: 26, dur: 1, failed: true },
    ]),
  );
  it('chains sequential siblings and forks overlapping ones from the parent', () => {
    const g = executionGraph(o);
    expect(g.collapsed).toBe(false);
    expect(g.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['root>a', 'a>b', 'root>c', 'c>c1']);
    expect(g.nodes.find((n) => n.id === 'c1')?.error).toBe(true);
  });
  it('collapses to agents above the node budget, counting cross-agent calls', () => {
    const g = executionGraph(o, 3);
    expect(g.collapsed).toBe(true);
    expect(g.nodes.map((n) => [n.label, n.sub])).toEqual([['sup', '3 steps'], ['res', '2 steps · 1 err']]);
    expect(g.edges).toEqual([{ from: 'agent:0', to: 'agent:1', count: 1, label: '1 calls' }]);
  });
});

describe('layoutGraph', () => {
  it('places every node without overlap and routes edges top to bottom', () => {
    const g = agentGraph([agent('a'), agent('b'), agent('c')], [msg('a', 'b', 'handoff'), msg('a', 'c', 'handoff'), msg('b', 'b', 'message')]);
    const p = layoutGraph(g);
    expect(p.nodes).toHaveLength(3);
    for (const n of p.nodes) expect(Number.isFinite(n.x) && Number.isFinite(n.y)).toBe(true);
    const [a, b, c] = p.nodes;
    expect(b.y).toBeGreaterThan(a.y);
    expect(Math.abs(b.x - c.x) >= NODE_W || Math.abs(b.y - c.y) >= NODE_H).toBe(true);
    expect(p.edges).toHaveLength(2); // the self-message is not drawn as an edge
    expect(p.edges[0].points.length).toBeGreaterThan(1);
    expect(p.width).toBeGreaterThan(NODE_W);
  });
});
