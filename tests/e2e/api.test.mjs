// The read side of the JSON API beyond runs: stats with group_by, sessions, agents, the live
// SSE stream, health and readiness. Data comes from conventions fixtures POSTed raw.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, api, postOtlpJson, E2E_DIR } from './harness.mjs';

const T0_MS = Date.now() - 60_000;
let server;
const traceIds = {};

function fixture(name) {
  const fx = JSON.parse(fs.readFileSync(path.join(E2E_DIR, 'fixtures', `${name}.json`), 'utf8'), (_k, v) =>
    (typeof v === 'string' && v.startsWith('T+')
      ? (BigInt(T0_MS) * 1_000_000n + BigInt(Math.round(Number(v.slice(2)) * 1e6))).toString() : v));
  return fx;
}

before(async () => {
  server = await startServer();
  for (const name of ['retries', 'failure-tool-timeout', 'langfuse', 'genai-current']) {
    const fx = fixture(name);
    traceIds[name] = fx.trace_id;
    for (const r of fx.requests) assert.equal((await postOtlpJson(server, r.body)).status, 200);
  }
});
after(async () => { await server?.stop(); });

test('stats: totals and group_by=agent agree with the runs', async () => {
  const total = await api(server, '/api/stats');
  assert.equal(total.rows.length, 1);
  const row = total.rows[0];
  assert.equal(row.runs, 4);
  assert.equal(row.failed, 1);    // failure-tool-timeout
  assert.equal(row.partial, 1);   // retries
  assert.equal(row.ok, 2);        // langfuse, genai-current
  assert.equal(row.success_rate, 0.75);  // partial runs recovered: they count as successes
  // Tokens summed over LLM steps of all runs: 800+50+500+2600 in, 100+5+120+140 out.
  assert.equal(row.tokens.input, 3950);
  assert.equal(row.tokens.output, 365);
  assert.ok(row.latency_ms.p50 <= row.latency_ms.p95 && row.latency_ms.p95 <= row.latency_ms.p99);

  const byAgent = await api(server, '/api/stats?group_by=agent');
  const groups = Object.fromEntries(byAgent.rows.map((r) => [r.group, r]));
  assert.deepEqual(Object.keys(groups).sort(), ['booking', 'qa-pipeline', 'summarizer', 'weather-bot']);
  assert.equal(groups.booking.failed, 1);
  assert.equal(groups['weather-bot'].tokens.input, 2600);
  const byFailure = await api(server, '/api/stats?group_by=failure_type');
  assert.ok(byFailure.rows.some((r) => r.group === 'tool' && r.runs === 1), JSON.stringify(byFailure.rows));
});

test('sessions and agents', async () => {
  const sessions = await api(server, '/api/sessions');
  const ids = sessions.sessions.map((s) => s.session_id).sort();
  assert.deepEqual(ids, ['conv-genai-1', 'lf-sess']);
  const lf = sessions.sessions.find((s) => s.session_id === 'lf-sess');
  assert.equal(lf.user_id, 'lf-user');
  assert.equal(lf.run_count, 1);
  const agents = await api(server, '/api/agents');
  const byId = Object.fromEntries(agents.agents.map((a) => [a.agent_id, a]));
  assert.deepEqual(byId['weather-bot'].versions, ['2.1.0']);
  assert.equal(byId.booking.failed, 1);
});

test('live stream sends `event: run` when a run changes', async () => {
  const ctl = new AbortController();
  const res = await fetch(`${server.baseUrl}/api/live`, { signal: ctl.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body.getReader();
  const fx = fixture('duplicates');
  let buf = '';
  let posted = false;
  try {
    for (let i = 0; i < 100 && !/event: run\ndata: .*\n/.test(buf); i++) {
      const chunk = await reader.read();
      if (chunk.done) break;
      buf += Buffer.from(chunk.value).toString('utf8');
      if (!posted) {  // subscribe first, then ingest
        posted = true;
        assert.equal((await postOtlpJson(server, fx.requests[0].body)).status, 200);
      }
    }
  } finally {
    ctl.abort();
  }
  const m = /event: run\ndata: (.*)\n/.exec(buf);
  assert.ok(m, `no run event in: ${buf.slice(0, 500)}`);
  const run = JSON.parse(m[1]);
  assert.equal(run.run_id, fx.trace_id);
});

test('health and readiness', async () => {
  assert.equal((await api(server, '/healthz')).status, 'ok');
  const ready = await api(server, '/readyz');
  assert.equal(ready.status, 'ready');
});
