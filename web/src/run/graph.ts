// Graph models for the graph view, and their dagre layout.
//  - agentGraph: the agent communication graph (agents + messages, message counts on edges).
//  - executionGraph: steps as executed (a child that starts after its previous sibling ended
//    follows it; overlapping siblings fork from the parent). Runs above `maxNodes` steps collapse
//    to agent level: one node per agent, edges where one agent's step contains another's.
import dagre from '@dagrejs/dagre';
import type { Outline } from './outline';
import { isError, stepName, stepType } from './outline';
import type { AgentMessage, AgentRow } from './types';

export interface GNode {
  id: string;
  label: string;
  sub: string; // second line: counts or type
  kind: 'agent' | 'step';
  error: boolean;
  seq?: number; // for step nodes
}

export interface GEdge {
  from: string;
  to: string;
  count: number;
  label: string;
}

export interface Graph {
  nodes: GNode[];
  edges: GEdge[];
  collapsed: boolean; // execution graph reduced to agents
}

export function agentGraph(agents: AgentRow[], messages: AgentMessage[]): Graph {
  const nodes = new Map<string, GNode>();
  for (const a of agents) {
    nodes.set(a.name, {
      id: a.name,
      label: a.name || '(no agent)',
      sub: `${a.step_count} steps · ${a.llm_count} llm · ${a.tool_count} tool${a.error_count ? ` · ${a.error_count} err` : ''}`,
      kind: 'agent',
      error: a.error_count > 0,
    });
  }
  const edges = new Map<string, GEdge & { kinds: Map<string, number> }>();
  for (const m of messages) {
    for (const name of [m.from_agent, m.to_agent]) {
      if (!nodes.has(name)) nodes.set(name, { id: name, label: name || '(no agent)', sub: '', kind: 'agent', error: false });
    }
    const key = JSON.stringify([m.from_agent, m.to_agent]);
    const e = edges.get(key) ?? { from: m.from_agent, to: m.to_agent, count: 0, label: '', kinds: new Map() };
    e.count++;
    e.kinds.set(m.kind, (e.kinds.get(m.kind) ?? 0) + 1);
    edges.set(key, e);
  }
  const out: GEdge[] = [];
  for (const e of edges.values()) {
    const kinds = [...e.kinds.entries()].map(([k, c]) => (e.kinds.size > 1 ? `${k} ${c}` : k)).join(', ');
    out.push({ from: e.from, to: e.to, count: e.count, label: `${e.count}× ${kinds}` });
  }
  return { nodes: [...nodes.values()], edges: out, collapsed: false };
}

export function executionGraph(o: Outline, maxNodes = 300): Graph {
  if (o.count > maxNodes) return agentLevelGraph(o);
  const nodes: GNode[] = [];
  const edges: GEdge[] = [];
  const lastChild = new Map<number, number>();
  for (let i = 0; i < o.count; i++) {
    nodes.push({
      id: o.stepIds[i],
      label: stepName(o, i),
      sub: stepType(o, i) + (o.durationUs[i] >= 0 ? ` · ${(o.durationUs[i] / 1000).toFixed(1)} ms` : ' · open'),
      kind: 'step',
      error: isError(o, i),
      seq: i,
    });
    const p = o.parent[i];
    if (p < 0) continue;
    const prev = lastChild.get(p);
    const prevEnd = prev === undefined ? Infinity : o.startUs[prev] + Math.max(0, o.durationUs[prev]);
    const from = prev !== undefined && o.durationUs[prev] >= 0 && o.startUs[i] >= prevEnd ? prev : p;
    edges.push({ from: o.stepIds[from], to: o.stepIds[i], count: 1, label: '' });
    lastChild.set(p, i);
  }
  return { nodes, edges, collapsed: false };
}

function agentLevelGraph(o: Outline): Graph {
  const steps = new Map<number, number>();
  const errors = new Map<number, number>();
  const edges = new Map<string, GEdge>();
  for (let i = 0; i < o.count; i++) {
    const a = o.agent[i];
    steps.set(a, (steps.get(a) ?? 0) + 1);
    if (isError(o, i)) errors.set(a, (errors.get(a) ?? 0) + 1);
    const p = o.parent[i];
    if (p >= 0 && o.agent[p] !== a) {
      const key = `${o.agent[p]}>${a}`;
      const e = edges.get(key) ?? { from: `agent:${o.agent[p]}`, to: `agent:${a}`, count: 0, label: '' };
      e.count++;
      e.label = `${e.count} calls`;
      edges.set(key, e);
    }
  }
  const nodes: GNode[] = [...steps.entries()].map(([a, n]) => ({
    id: `agent:${a}`,
    label: o.agents[a] || '(no agent)',
    sub: `${n} steps${errors.get(a) ? ` · ${errors.get(a)} err` : ''}`,
    kind: 'agent',
    error: (errors.get(a) ?? 0) > 0,
  }));
  return { nodes, edges: [...edges.values()], collapsed: true };
}

export interface Placed {
  nodes: (GNode & { x: number; y: number; w: number; h: number })[];
  edges: (GEdge & { points: { x: number; y: number }[] })[];
  width: number;
  height: number;
}

export const NODE_W = 220;
export const NODE_H = 44;

/** Top-to-bottom dagre layout; node boxes are centred on (x, y). */
export function layoutGraph(g: Graph): Placed {
  const dg = new dagre.graphlib.Graph({ multigraph: false });
  dg.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 48, marginx: 16, marginy: 16 });
  dg.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) dg.setNode(n.id, { width: NODE_W, height: NODE_H });
  for (const e of g.edges) {
    if (e.from === e.to) continue; // self-messages are shown on the node, dagre drops loops anyway
    dg.setEdge(e.from, e.to, { label: e.label, width: e.label ? 8 * Math.min(e.label.length, 24) : 0, height: e.label ? 14 : 0 });
  }
  dagre.layout(dg);
  const nodes = g.nodes.map((n) => {
    const p = dg.node(n.id);
    return { ...n, x: p.x, y: p.y, w: NODE_W, h: NODE_H };
  });
  const edges = g.edges
    .filter((e) => e.from !== e.to)
    .map((e) => ({ ...e, points: (dg.edge(e.from, e.to)?.points ?? []) as { x: number; y: number }[] }));
  const gi = dg.graph();
  return { nodes, edges, width: gi.width ?? 0, height: gi.height ?? 0 };
}
