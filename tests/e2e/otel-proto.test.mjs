// OTLP/HTTP protobuf from the real OpenTelemetry JS exporter, gzip and uncompressed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { startServer } from './harness.mjs';
import { runTransportSuite } from './genai-run.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test('GenAI agent run over OTLP/HTTP protobuf (gzip and none, simple and batch processors)', async (t) => {
  await runTransportSuite(t, server, (compression) => new OTLPTraceExporter({
    url: `${server.baseUrl}/v1/traces`, compression, timeoutMillis: 10_000,
  }));
});

test('protobuf response body is an ExportTraceServiceResponse in the request content type', async () => {
  // An empty request is a valid success per the spec.
  const r = await server.post('/v1/traces', Buffer.alloc(0), { 'content-type': 'application/x-protobuf' });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /application\/x-protobuf/);
});
