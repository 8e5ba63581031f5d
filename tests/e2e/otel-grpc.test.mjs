// OTLP/gRPC from the real OpenTelemetry JS exporter (@grpc/grpc-js), gzip and uncompressed.
import { test, before, after } from 'node:test';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { startServer } from './harness.mjs';
import { runTransportSuite } from './genai-run.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test('GenAI agent run over OTLP/gRPC (gzip and none, simple and batch processors)', async (t) => {
  await runTransportSuite(t, server, (compression) => new OTLPTraceExporter({
    url: server.grpcUrl, compression, timeoutMillis: 10_000,
  }));
});
