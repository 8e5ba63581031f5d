// Registers a global NodeTracerProvider (context manager included) exporting to a server.
// Used by tests whose client libraries rely on the global provider and active context.
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { RecordingExporter } from './genai-run.mjs';

export function registerGlobalProvider(server, resource = {}) {
  const exporter = new RecordingExporter(new OTLPTraceExporter({ url: `${server.baseUrl}/v1/traces` }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'e2e-oi', ...resource }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  provider.register();
  return { provider, exporter };
}
