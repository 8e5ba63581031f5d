// Hostile input while a well-behaved client keeps ingesting: every hostile request gets a clear
// 4xx (or a documented acceptance), never a crash, and the good client loses nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import zlib from 'node:zlib';
import {
  startServer, getRunDetail, listRuns, traceRequest, jsonSpan, newTraceId, newSpanId, postOtlpJson, sleep,
} from './harness.mjs';
import * as pb from './otlp-proto.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const PB = { 'content-type': 'application/x-protobuf' };
const JSONCT = { 'content-type': 'application/json' };

function validProtoBody(name = 'hostile-probe') {
  const traceId = newTraceId();
  const t = nowNs();
  return { traceId, body: pb.request([pb.span({ traceId, spanId: newSpanId(), name, startNs: t, endNs: t + 1_000_000n })]) };
}

// The well-behaved client: a 3-span run per batch, alternating JSON and gzip'd protobuf-free JSON.
function startGoodClient() {
  const state = { stop: false, sent: [], statuses: [], errors: [] };
  state.done = (async () => {
    let i = 0;
    while (!state.stop) {
      const traceId = newTraceId();
      const root = newSpanId();
      const t0 = Date.now() - 1000;
      const body = JSON.stringify(traceRequest([
        jsonSpan({ traceId, spanId: root, name: 'invoke_agent steady', t0Ms: t0, start: 0, end: 100, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'steady' } }),
        jsonSpan({ traceId, spanId: newSpanId(), parentId: root, name: 'chat gpt-4o', t0Ms: t0, start: 10, end: 50, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 5, 'gen_ai.usage.output_tokens': 1 } }),
        jsonSpan({ traceId, spanId: newSpanId(), parentId: root, name: 'execute_tool t', t0Ms: t0, start: 60, end: 90, attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 't' } }),
      ], { resource: { 'service.name': 'steady-client' } }));
      const gzip = i % 2 === 1;
      try {
        const res = await server.post('/v1/traces', gzip ? zlib.gzipSync(body) : body,
          { ...JSONCT, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
        state.statuses.push(res.status);
        if (res.status === 200) state.sent.push(traceId);
      } catch (e) {
        state.errors.push(e.message);
      }
      i++;
      await sleep(20);
    }
  })();
  return state;
}

test('hostile inputs are rejected cleanly while a good client keeps ingesting', async (t) => {
  const good = startGoodClient();
  try {
    await t.test('malformed protobuf -> 400', async () => {
      const r = await server.post('/v1/traces', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]), PB);
      assert.equal(r.status, 400);
    });
    await t.test('truncated protobuf -> 400', async () => {
      const { body } = validProtoBody();
      for (const cut of [1, 7, Math.floor(body.length / 2), body.length - 3]) {
        const r = await server.post('/v1/traces', body.subarray(0, cut), PB);
        assert.equal(r.status, 400, `truncated at ${cut}/${body.length}`);
      }
    });
    await t.test('bad ids (short, all-zero) -> 400 or partial success rejecting them, never stored', async () => {
      const t0 = nowNs();
      const bad = pb.request([pb.span({ traceId: 'abcd', spanId: '00', name: 'short-ids', startNs: t0, endNs: t0 })]);
      const r = await server.post('/v1/traces', bad, PB);
      if (r.status === 200) {
        // ExportTraceServiceResponse{partial_success(1){rejected_spans(1)=1, error_message(2)}}
        assert.equal(r.body[0], 0x0a, 'partial_success missing from the response');
        assert.ok(r.body.includes(Buffer.from([0x08, 0x01])), `rejected_spans != 1: ${r.body.toString('hex')}`);
        assert.match(r.body.toString('latin1'), /trace_id/);
      } else {
        assert.equal(r.status, 400);
      }
      const zero = jsonSpan({ traceId: '0'.repeat(32), spanId: 'abc', name: 'zero-ids', t0Ms: Date.now() });
      const rj = await postOtlpJson(server, traceRequest([zero]));
      if (rj.status === 200) {
        const body = JSON.parse(rj.text);
        assert.equal(String(body.partialSuccess?.rejectedSpans), '1', rj.text);
        assert.equal(typeof body.partialSuccess.errorMessage, 'string');
      } else {
        assert.equal(rj.status, 400);
      }
      const runs = await server.get('/api/runs?q=short-ids');
      assert.equal(runs.status, 200);
      assert.ok(!JSON.stringify(runs.body).includes('zero-ids') && !JSON.stringify(runs.body).includes('short-ids'));
    });
    await t.test('malformed JSON -> 400 with a JSON error', async () => {
      for (const body of ['{"resourceSpans": [', 'not json', '{"resourceSpans": {"oops": 1}}', '[]']) {
        const r = await server.post('/v1/traces', body, JSONCT);
        assert.equal(r.status, 400, `body ${body}`);
      }
    });
    await t.test('wrong content type -> 415', async () => {
      const r = await server.post('/v1/traces', 'hello', { 'content-type': 'text/plain' });
      assert.equal(r.status, 415);
    });
    await t.test('deep nesting (10k arrayValue levels) -> 400', async () => {
      let v = '{"stringValue":"leaf"}';
      for (let i = 0; i < 10_000; i++) v = `{"arrayValue":{"values":[${v}]}}`;
      const sp = jsonSpan({ traceId: newTraceId(), spanId: newSpanId(), name: 'deep', t0Ms: Date.now() });
      const body = JSON.stringify(traceRequest([sp])).replace('"attributes":[]', `"attributes":[{"key":"deep","value":${v}}]`);
      assert.ok(body.includes('"deep"'));
      const r = await server.post('/v1/traces', body, JSONCT);
      assert.equal(r.status, 400);
    });
    await t.test('giant attribute (20 MB) -> accepted or 413, the run readable as JSON', async () => {
      const traceId = newTraceId();
      const sp = jsonSpan({ traceId, spanId: newSpanId(), name: 'giant', t0Ms: Date.now(), attributes: { 'input.value': 'x'.repeat(20 << 20) } });
      const r = await postOtlpJson(server, traceRequest([sp]));
      assert.ok([200, 413].includes(r.status), `status ${r.status}`);
      if (r.status === 200) {
        const d = await getRunDetail(server, traceId);
        assert.equal(d.steps.length, 1);
      }
    });
    await t.test('invalid UTF-8 -> stored as U+FFFD (or 400), never invalid JSON out', async () => {
      const traceId = newTraceId();
      const t0 = nowNs();
      const badName = Buffer.concat([Buffer.from('bad-'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('-name')]);
      const body = pb.request([pb.span({ traceId, spanId: newSpanId(), name: badName, startNs: t0, endNs: t0 + 1000n,
        attributes: [['gen_ai.agent.name', Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62])]] })]);
      const r = await server.post('/v1/traces', body, PB);
      assert.ok([200, 400].includes(r.status), `status ${r.status}`);
      if (r.status === 200) {
        const d = await getRunDetail(server, traceId);  // throws on invalid JSON
        assert.match(d.steps[0].name, /^bad-\uFFFD+-name$/);
        const runs = await server.get('/api/runs?limit=500');
        assert.equal(runs.status, 200);
        assert.ok(runs.body, 'run list must stay valid JSON');
      }
      // The same in a JSON body: raw invalid bytes inside a string.
      const jsonBody = Buffer.concat([
        Buffer.from(JSON.stringify(traceRequest([jsonSpan({ traceId: newTraceId(), spanId: newSpanId(), name: 'PLACEHOLDER', t0Ms: Date.now() })])).split('PLACEHOLDER')[0]),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(JSON.stringify(traceRequest([jsonSpan({ traceId: newTraceId(), spanId: newSpanId(), name: 'PLACEHOLDER', t0Ms: Date.now() })])).split('PLACEHOLDER')[1]),
      ]);
      const rj = await server.post('/v1/traces', jsonBody, JSONCT);
      assert.ok([200, 400].includes(rj.status), `json status ${rj.status}`);
    });
    await t.test('gzip bomb (inflates past 64 MiB) -> 413', async () => {
      const bomb = zlib.gzipSync(Buffer.alloc(80 << 20), { level: 9 });
      assert.ok(bomb.length < 1 << 20, `bomb is ${bomb.length} bytes`);
      for (const ct of [PB, JSONCT]) {
        const r = await server.post('/v1/traces', bomb, { ...ct, 'content-encoding': 'gzip' });
        assert.equal(r.status, 413, `content-type ${ct['content-type']}`);
      }
      const notGzip = await server.post('/v1/traces', Buffer.from('definitely not gzip'), { ...PB, 'content-encoding': 'gzip' });
      assert.equal(notGzip.status, 400);
    });
    await t.test('slow clients (partial headers, stalled 15 s) do not stop service', async () => {
      const sockets = [];
      for (let i = 0; i < 8; i++) {
        const s = net.connect(server.httpPort, '127.0.0.1');
        s.on('error', () => {});
        s.cutOff = false;  // the server answered (408/400) or closed: it did not wait forever
        s.on('data', () => { s.cutOff = true; });
        s.on('close', () => { s.cutOff = true; });
        await new Promise((res) => s.once('connect', res));
        s.write('POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-');
        sockets.push(s);
      }
      const started = Date.now();
      await sleep(2000);
      const mid = await server.get('/healthz');
      assert.equal(mid.status, 200, 'healthz while slow clients stall');
      while (Date.now() - started < 15_000) await sleep(250);
      const after15 = await server.get('/healthz');
      assert.equal(after15.status, 200);
      const open = sockets.filter((s) => !s.cutOff).length;
      assert.equal(open, 0, `${open} of ${sockets.length} stalled connections neither answered nor closed after 15 s`);
      for (const s of sockets) s.destroy();
    });
    await t.test('405 on GET /v1/traces', async () => {
      const r = await fetch(`${server.baseUrl}/v1/traces`);
      assert.equal(r.status, 405);
    });
    await t.test('unknown /api path -> 404 JSON error', async () => {
      const r = await server.get('/api/definitely-not-here');
      assert.equal(r.status, 404);
      assert.equal(typeof r.body?.error?.message, 'string', r.text);
      assert.equal(typeof r.body?.error?.code, 'string');
      const missingRun = await server.get(`/api/runs/${newTraceId()}`);
      assert.equal(missingRun.status, 404);
      assert.equal(typeof missingRun.body?.error?.message, 'string');
    });
    await t.test('bad API params -> 400 JSON error naming the parameter', async () => {
      for (const [q, param] of [['limit=abc', 'limit'], ['limit=-5', 'limit'], ['status=bogus', 'status'],
        ['since=not-a-time', 'since'], ['sort=nonsense', 'sort'], ['cursor=%%%garbage', 'cursor']]) {
        const r = await server.get(`/api/runs?${q}`);
        assert.equal(r.status, 400, `${q} -> ${r.status}`);
        assert.match(r.body?.error?.message ?? '', new RegExp(param), `${q}: ${r.text}`);
      }
      const badId = await server.get('/api/runs/not-a-hex-id');
      assert.ok([400, 404].includes(badId.status));
      assert.equal(typeof badId.body?.error?.message, 'string');
      const badGroup = await server.get('/api/stats?group_by=nonsense');
      assert.equal(badGroup.status, 400);
    });
  } finally {
    good.stop = true;
    await good.done;
  }
  assert.deepEqual(good.errors, [], 'good client saw transport errors');
  assert.ok(good.statuses.length >= 20, `good client only sent ${good.statuses.length} batches`);
  assert.deepEqual([...new Set(good.statuses)], [200], 'every good batch must be acknowledged');
  const steady = await listRuns(server, 'agent=steady&limit=200');
  const stored = new Set(steady.map((r) => r.run_id));
  for (const id of good.sent) assert.ok(stored.has(id), `acknowledged run ${id} missing`);
  for (const r of steady) assert.equal(r.step_count, 3);
  const hz = await server.get('/healthz');
  assert.equal(hz.status, 200);
  assert.ok(server.running, 'server process died');
});
