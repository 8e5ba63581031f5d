// Durability: a 200 means committed. Acknowledged spans survive `kill -9` mid-stream.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, getRunDetail, makeTempDir, newTraceId, newSpanId, traceRequest, jsonSpan, sleep } from './harness.mjs';

const RUNS = 5;
const SPANS_PER_BATCH = 4;
let servers = [];
after(async () => { for (const s of servers) await s.stop(); });

test('every acknowledged span survives kill -9 and restart', async () => {
  const dataDir = makeTempDir();
  const first = await startServer({ dataDir });
  servers.push(first);
  const runs = Array.from({ length: RUNS }, () => ({ traceId: newTraceId(), root: newSpanId(), acked: 0, maybe: 0 }));
  const t0 = Date.now() - 10_000;
  let batchNo = 0;

  const sendBatch = async () => {
    const n = batchNo++;
    const run = runs[n % RUNS];
    const spans = Array.from({ length: SPANS_PER_BATCH }, (_, j) => jsonSpan({
      traceId: run.traceId, spanId: newSpanId(), parentId: run.root, name: `execute_tool t${n}_${j}`,
      t0Ms: t0, start: n * 10 + j, end: n * 10 + j + 5,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': `t${j}` },
    }));
    if (n < RUNS) {
      spans.push(jsonSpan({ traceId: run.traceId, spanId: run.root, name: 'invoke_agent crashy', t0Ms: t0, start: 0, end: 100_000,
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'crashy' } }));
    }
    run.maybe += spans.length;  // in flight: may or may not be committed
    try {
      const r = await first.post('/v1/traces', JSON.stringify(traceRequest(spans)), { 'content-type': 'application/json' });
      if (r.status === 200) { run.acked += spans.length; run.maybe -= spans.length; }
      return r.status;
    } catch {
      return 'error';  // connection dropped by the kill
    }
  };

  // Phase 1: sequential, all must be acknowledged.
  for (let i = 0; i < 20; i++) assert.equal(await sendBatch(), 200);
  // Phase 2: four concurrent senders; kill -9 after 40 more acks.
  let acksPhase2 = 0;
  let killed = false;
  const sender = async () => {
    while (!killed) {
      const st = await sendBatch();
      if (st === 200) acksPhase2++;
      else if (!killed) assert.fail(`batch rejected before the kill: ${st}`);
    }
  };
  const senders = [sender(), sender(), sender(), sender()];
  while (acksPhase2 < 40) await sleep(5);
  killed = true;
  const exit = await first.kill9();
  assert.equal(exit.signal, 'SIGKILL');
  await Promise.all(senders);

  const second = await startServer({ dataDir });
  servers.push(second);
  let totalAcked = 0;
  for (const run of runs) {
    const d = await getRunDetail(second, run.traceId);
    totalAcked += run.acked;
    assert.ok(d.steps.length >= run.acked, `run ${run.traceId}: ${d.steps.length} steps stored < ${run.acked} acknowledged`);
    assert.ok(d.steps.length <= run.acked + run.maybe, `run ${run.traceId}: more steps than were ever sent`);
    assert.equal(d.run.step_count, d.steps.length);
    assert.equal(new Set(d.steps.map((s) => s.step_id)).size, d.steps.length, 'duplicate steps after recovery');
  }
  assert.ok(totalAcked >= (20 + 40) * SPANS_PER_BATCH);
  // The restarted server keeps accepting.
  const again = await second.post('/v1/traces', JSON.stringify(traceRequest([jsonSpan({
    traceId: runs[0].traceId, spanId: newSpanId(), parentId: runs[0].root, name: 'after restart', t0Ms: t0, start: 1, end: 2,
  })])), { 'content-type': 'application/json' });
  assert.equal(again.status, 200);
  const d0 = await getRunDetail(second, runs[0].traceId);
  assert.ok(d0.steps.some((s) => s.name === 'after restart'));
});
