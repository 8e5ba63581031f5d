// Graph view: the agent communication graph (agents + messages, counts on edges) for multi-agent
// runs, and the steps-as-executed graph (collapsed to agents for big runs). dagre layout, SVG.
import { useMemo, useState } from 'preact/hooks';
import type { RunData } from './data';
import type { Placed } from './graph';
import { agentGraph, executionGraph, layoutGraph } from './graph';
import type { Outline } from './outline';

export function GraphView(p: { data: RunData; outline: Outline; selectedId: string; onSelect: (seq: number) => void }) {
  const agents = p.data.first.agents ?? [];
  const messages = p.data.first.messages ?? [];
  const multi = agents.length > 1 || messages.length > 0;
  const [mode, setMode] = useState<'agents' | 'steps'>(multi ? 'agents' : 'steps');
  const placed: Placed = useMemo(
    () => layoutGraph(mode === 'agents' ? agentGraph(agents, messages) : executionGraph(p.outline)),
    [mode, p.outline, p.data],
  );
  const collapsed = mode === 'steps' && p.outline.count > 300;
  const firstStepOf = (agentName: string) => {
    const a = p.outline.agents.indexOf(agentName);
    for (let i = 0; i < p.outline.count; i++) if (p.outline.agent[i] === a) return i;
    return -1;
  };
  return (
    <div class="graph-view" data-testid="graph-view">
      <div class="toolbar">
        <div role="group" aria-label="graph kind" class="seg">
          <button type="button" class={mode === 'agents' ? 'on' : ''} aria-pressed={mode === 'agents'} onClick={() => setMode('agents')}>
            Agent communication
          </button>
          <button type="button" class={mode === 'steps' ? 'on' : ''} aria-pressed={mode === 'steps'} onClick={() => setMode('steps')}>
            Steps as executed
          </button>
        </div>
        <span class="muted small">
          {mode === 'agents'
            ? `${placed.nodes.length} agents · ${messages.length} messages (handoffs, delegations, invocations)`
            : collapsed
              ? `${p.outline.count.toLocaleString('en-US')} steps: shown per agent (edges count calls across agents)`
              : `${p.outline.count} steps; sequential siblings are chained, parallel ones fork`}
        </span>
      </div>
      {placed.nodes.length === 0 ? (
        <div class="state state-empty" data-testid="empty-state">
          <strong>No agents recorded.</strong>
          <div class="state-body">This run has no agent identities or inter-agent messages to draw.</div>
        </div>
      ) : (
        <div class="graph-scroll">
          <svg width={placed.width} height={placed.height} viewBox={`0 0 ${placed.width} ${placed.height}`} role="img" aria-label="run graph">
            <defs>
              <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
                <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
              </marker>
            </defs>
            {placed.edges.map((e) => {
              const pts = e.points;
              if (pts.length < 2) return null;
              const d = 'M' + pts.map((pt) => `${pt.x},${pt.y}`).join(' L');
              const mid = pts[Math.floor(pts.length / 2)];
              return (
                <g key={`${e.from}>${e.to}`} data-testid="graph-edge" data-count={e.count} data-from={e.from} data-to={e.to}>
                  <path d={d} class="edge" marker-end="url(#arrow)" style={{ strokeWidth: `${Math.min(6, 1 + Math.log2(e.count))}px` }} />
                  {e.label && (
                    <text x={mid.x + 4} y={mid.y - 2} class="edge-label">
                      {e.label}
                    </text>
                  )}
                </g>
              );
            })}
            {placed.nodes.map((n) => {
              const sel = n.kind === 'step' && n.id === p.selectedId;
              const attrs = n.kind === 'step' ? { 'data-step-id': n.id } : { 'data-agent': n.label };
              return (
                <g
                  key={n.id}
                  {...attrs}
                  data-testid="graph-node"
                  class={`node${n.error ? ' error' : ''}${sel ? ' selected' : ''}`}
                  transform={`translate(${n.x - n.w / 2},${n.y - n.h / 2})`}
                  tabIndex={0}
                  role="button"
                  aria-label={`${n.label} ${n.sub}`}
                  onClick={() => p.onSelect(n.seq ?? firstStepOf(n.label))}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') p.onSelect(n.seq ?? firstStepOf(n.label));
                  }}
                >
                  <rect width={n.w} height={n.h} rx={6} />
                  <text x={8} y={17} class="node-label">
                    {n.label.length > 24 ? n.label.slice(0, 23) + '…' : n.label}
                  </text>
                  <text x={8} y={34} class="node-sub">
                    {n.sub.length > 38 ? n.sub.slice(0, 37) + '…' : n.sub}
                  </text>
                </g>
              );
            })}
          </svg>
        </div>
      )}
    </div>
  );
}
