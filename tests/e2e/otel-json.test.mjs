// OTLP/HTTP JSON from the real OpenTelemetry JS exporter, gzip and uncompressed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { startServer } from './harness.mjs';
import { runTransportSuite } from './genai-run.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test('GenAI agent run over OTLP/HTTP JSON (gzip and none, simple and batch processors)', async (t) => {
  await runTransportSuite(t, server, (compression) => new OTLPTraceExporter({
    url: `${server.baseUrl}/v1/traces`, compression, timeoutMillis: 10_000,
  }));
});

test('JSON success response is JSON and content type parameters are accepted', async () => {
  const r = await server.post('/v1/traces', '{}', { 'content-type': 'application/json; charset=utf-8' });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  const body = JSON.parse(r.text);
  assert.equal(body.partialSuccess, undefined, 'full success must leave partialSuccess unset');
});
