// Tree structure over an Outline: children lists (CSR arrays), retry chains, and the flattened
// list of visible rows for the virtualized tree. O(n) typed-array work; no per-step objects.
import type { Outline } from './outline';

export interface Tree {
  count: number;
  /** Children of step i are childList[childStart[i] .. childStart[i + 1]); roots are under index count. */
  childStart: Int32Array;
  childList: Int32Array;
  /** Retry chains: first attempt's seq, 1-based position and chain length (1 = not retried). */
  chainHead: Int32Array;
  chainPos: Int32Array;
  chainLen: Int32Array;
  /** Depth of each step (roots 0). */
  depth: Int32Array;
}

/**
 * Builds children lists in execution order, except that a retry attempt directly follows the
 * attempt it retries when both have the same parent, so a chain reads as one group.
 */
export function buildTree(o: Outline): Tree {
  const n = o.count;
  const chainHead = new Int32Array(n);
  const chainPos = new Int32Array(n);
  const chainLen = new Int32Array(n);
  const nextAttempt = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const r = o.retryOf[i];
    if (r >= 0 && r < i) {
      chainHead[i] = chainHead[r];
      chainPos[i] = chainPos[r] + 1;
      if (nextAttempt[r] < 0) nextAttempt[r] = i;
    } else {
      chainHead[i] = i;
      chainPos[i] = 1;
    }
  }
  for (let i = 0; i < n; i++) chainLen[chainHead[i]] = Math.max(chainLen[chainHead[i]], chainPos[i]);
  for (let i = 0; i < n; i++) chainLen[i] = chainLen[chainHead[i]];

  // Count children per parent slot (slot n = roots), then fill.
  const slot = (i: number) => (o.parent[i] >= 0 ? o.parent[i] : n);
  const counts = new Int32Array(n + 2);
  for (let i = 0; i < n; i++) counts[slot(i) + 1]++;
  const childStart = new Int32Array(n + 2);
  for (let p = 0; p <= n; p++) childStart[p + 1] = childStart[p] + counts[p + 1];
  const fill = childStart.slice(0, n + 1);
  const childList = new Int32Array(n);
  // A retry whose predecessor is a sibling is placed right after it (walking the chain).
  const placedLater = (i: number) => {
    const r = o.retryOf[i];
    return r >= 0 && r < i && nextAttempt[r] === i && slot(r) === slot(i);
  };
  for (let i = 0; i < n; i++) {
    if (placedLater(i)) continue;
    const s = slot(i);
    childList[fill[s]++] = i;
    let j = nextAttempt[i];
    while (j >= 0 && placedLater(j)) {
      childList[fill[s]++] = j;
      j = nextAttempt[j];
    }
  }
  const depth = new Int32Array(n);
  for (let i = 0; i < n; i++) depth[i] = o.parent[i] >= 0 ? depth[o.parent[i]] + 1 : 0;
  return { count: n, childStart, childList, chainHead, chainPos, chainLen, depth };
}

export function childCount(t: Tree, i: number): number {
  return t.childStart[i + 1] - t.childStart[i];
}

/** Visible rows (step seqs) in depth-first order, skipping the subtrees of collapsed steps. */
export function visibleRows(t: Tree, collapsed: Uint8Array): Int32Array {
  const n = t.count;
  const out = new Int32Array(n);
  let len = 0;
  const stack = new Int32Array(n + 1);
  let sp = 0;
  // Push roots in reverse so the first root pops first.
  for (let k = t.childStart[n + 1] - 1; k >= t.childStart[n]; k--) stack[sp++] = t.childList[k];
  while (sp > 0) {
    const i = stack[--sp];
    out[len++] = i;
    if (collapsed[i]) continue;
    for (let k = t.childStart[i + 1] - 1; k >= t.childStart[i]; k--) stack[sp++] = t.childList[k];
  }
  return out.subarray(0, len);
}

/** Expands every ancestor of `seq` so it becomes visible. Returns whether anything changed. */
export function expandTo(o: Outline, collapsed: Uint8Array, seq: number): boolean {
  let changed = false;
  for (let p = o.parent[seq]; p >= 0; p = o.parent[p]) {
    if (collapsed[p]) {
      collapsed[p] = 0;
      changed = true;
    }
  }
  return changed;
}

/**
 * Initial collapse state for big runs: subtrees below `maxDepth` with more than `bigChildren`
 * children start collapsed, so the first screen shows the run's shape. Small runs start open.
 */
export function defaultCollapsed(t: Tree, maxRowsOpen = 5000): Uint8Array {
  const collapsed = new Uint8Array(t.count);
  if (t.count <= maxRowsOpen) return collapsed;
  for (let i = 0; i < t.count; i++) if (t.depth[i] >= 1 && childCount(t, i) > 0) collapsed[i] = 1;
  return collapsed;
}
