// Langfuse JS SDK v5 (@langfuse/tracing + @langfuse/otel LangfuseSpanProcessor) pointed at the
// server's Langfuse-compatible OTLP path, without and with API keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { LangfuseSpanProcessor } from '@langfuse/otel';
import {
  startActiveObservation, startObservation, propagateAttributes, setLangfuseTracerProvider,
  getActiveTraceId,
} from '@langfuse/tracing';
import { startServer, getRunDetail, listRuns, makeTempDir, sleep, traceRequest, jsonSpan, newTraceId, newSpanId } from './harness.mjs';

const API_KEY = 'sk-lf-e2e-0123456789abcdef';
let open;     // server without auth
let secured;  // server with an API key configured
const providers = [];

before(async () => {
  open = await startServer();
  const dir = makeTempDir();
  const cfg = path.join(dir, 'tracery.yaml');
  fs.writeFileSync(cfg, `auth:\n  api_keys:\n    - key: ${API_KEY}\n      scopes: [ingest, read]\n`);
  secured = await startServer({ args: ['--config', cfg], headers: { authorization: `Bearer ${API_KEY}` } });
});
after(async () => {
  for (const p of providers) await p.shutdown().catch(() => {});
  await open?.stop();
  await secured?.stop();
});

function langfuseProvider(server, { publicKey = 'pk-lf-e2e', secretKey = 'sk-lf-e2e' } = {}) {
  const provider = new NodeTracerProvider({
    spanProcessors: [new LangfuseSpanProcessor({
      publicKey, secretKey, baseUrl: server.baseUrl, exportMode: 'immediate', environment: 'staging',
      release: 'v2.3.0',
    })],
  });
  if (providers.length === 0) provider.register();  // installs the async context manager once
  providers.push(provider);
  setLangfuseTracerProvider(provider);
  return provider;
}

async function emitSupportRun(label) {
  return propagateAttributes({ sessionId: `lf-session-${label}`, userId: `lf-user-${label}`, tags: ['langfuse', label] },
    () => startActiveObservation('support-agent', async (agent) => {
      agent.update({ input: { question: 'Where is my order #123?' } });
      await sleep(3);
      const retr = startObservation('order-search', { input: { query: 'order 123' } }, { asType: 'retriever' });
      await sleep(3);
      retr.update({ output: [{ id: 'order-123', status: 'shipped' }] }).end();
      const gen = startObservation('chat', {
        model: 'gpt-4o-mini',
        modelParameters: { temperature: 0.2 },
        input: [{ role: 'user', content: 'Where is my order #123?' }],
      }, { asType: 'generation' });
      await sleep(3);
      gen.update({
        output: { role: 'assistant', content: 'It shipped yesterday.' },
        usageDetails: { input: 100, output: 25, total: 125 },
        costDetails: { total: 0.0125 },
      }).end();
      const tool = startObservation('notify_customer', { input: { channel: 'email' } }, { asType: 'tool' });
      await sleep(3);
      tool.update({ output: { sent: true } }).end();
      agent.update({ output: 'It shipped yesterday.' });
      return getActiveTraceId();
    }, { asType: 'agent' }));
}

test('Langfuse SDK spans -> agent/retrieval/llm/tool steps with model, usage, session, user', async () => {
  const provider = langfuseProvider(open);
  const traceId = await emitSupportRun('a');
  await provider.forceFlush();

  const d = await getRunDetail(open, traceId);
  assert.deepEqual(d.steps.map((s) => s.type), ['agent', 'retrieval', 'llm', 'tool']);
  assert.deepEqual(d.steps.map((s) => s.name), ['support-agent', 'order-search', 'chat', 'notify_customer']);
  const run = d.run;
  assert.equal(run.session_id, 'lf-session-a');
  assert.equal(run.user_id, 'lf-user-a');
  assert.deepEqual([...run.tags].sort(), ['a', 'langfuse']);
  assert.equal(run.environment, 'staging');
  assert.equal(run.agent_id, 'support-agent');
  assert.equal(run.status, 'ok');
  assert.deepEqual(run.tokens, { input: 100, output: 25, total: 125, cache_read: 0, cache_write: 0, reasoning: 0 });
  assert.ok(Math.abs(run.cost_usd - 0.0125) < 1e-9, `cost_usd ${run.cost_usd}`);
  assert.deepEqual(run.models, ['gpt-4o-mini']);
  const gen = d.steps[2];
  assert.equal(gen.model, 'gpt-4o-mini');
  assert.equal(gen.tokens.input, 100);
  assert.equal(gen.tokens.output, 25);
  assert.equal(d.steps[3].tool_name, 'notify_customer');
  assert.deepEqual((await listRuns(open, 'session=lf-session-a')).map((r) => r.run_id), [traceId]);
  assert.deepEqual((await listRuns(open, 'user=lf-user-a')).map((r) => r.run_id), [traceId]);
});

test('with an API key: Basic auth whose secret is the key is accepted, a wrong key is 401', async () => {
  // Real SDK with secretKey = the API key.
  const good = langfuseProvider(secured, { secretKey: API_KEY });
  const traceId = await emitSupportRun('b');
  await good.forceFlush();
  const d = await getRunDetail(secured, traceId);
  assert.equal(d.steps.length, 4);
  assert.equal(d.run.session_id, 'lf-session-b');

  // Real SDK with a wrong key: its spans must not be stored.
  const bad = langfuseProvider(secured, { secretKey: 'sk-lf-wrong' });
  const badTrace = await emitSupportRun('c');
  // The SDK itself sees the 401 (its flush rejects with the exporter's Unauthorized error).
  await assert.rejects(bad.forceFlush(), (e) => /Unauthorized|401/.test(JSON.stringify(e, Object.getOwnPropertyNames(e)) + String(e)));
  const missing = await secured.get(`/api/runs/${badTrace}`);
  assert.equal(missing.status, 404, `spans sent with a wrong key were stored: ${missing.text.slice(0, 200)}`);

  // Raw requests show the status codes the SDK saw.
  const body = JSON.stringify(traceRequest([jsonSpan({
    traceId: newTraceId(), spanId: newSpanId(), name: 'x', t0Ms: Date.now(),
    attributes: { 'langfuse.observation.type': 'span' },
  })]));
  const basic = (pk, sk) => 'Basic ' + Buffer.from(`${pk}:${sk}`).toString('base64');
  const post = (auth) => secured.post('/api/public/otel/v1/traces', body,
    { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) });
  assert.equal((await post(basic('pk-lf-e2e', API_KEY))).status, 200);
  assert.equal((await post(basic('pk-lf-e2e', 'sk-lf-wrong'))).status, 401);
  assert.equal((await post(null)).status, 401);
  assert.equal((await post('Basic !!!notbase64')).status, 401);
  // The API itself needs the key too, and answers JSON errors.
  const unauth = await fetch(`${secured.baseUrl}/api/runs`);
  assert.equal(unauth.status, 401);
  const err = await unauth.json();
  assert.equal(typeof err.error.message, 'string');
  assert.equal((await listRuns(secured)).length, 2, 'the accepted SDK run and the accepted raw run');
});
