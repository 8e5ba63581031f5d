// OpenTelemetry set-up shared by the LangGraph examples: a tracer provider exporting OTLP/HTTP
// protobuf to Tracery, the OpenInference LangChain instrumentation, and a tally of what was
// exported (trace ids = Tracery run ids; failed exports make the example exit 1).
//
// LangChain.js must be instrumented through its callback manager module before any chain runs,
// so import the LangChain/LangGraph modules after calling startTracing().
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';

export function startTracing({ endpoint, apiKey, resource }) {
  const exporter = new OTLPTraceExporter({
    url: `${endpoint}/v1/traces`,
    headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
  });
  const tally = { spans: 0, failures: 0, traceIds: new Set() };
  const countingExporter = {
    export(spans, done) {
      tally.spans += spans.length;
      for (const s of spans) tally.traceIds.add(s.spanContext().traceId);
      exporter.export(spans, (result) => {
        if (result.code !== 0) {
          tally.failures += spans.length;
          console.error(`error: export of ${spans.length} spans to ${endpoint} failed: ${result.error?.message ?? 'unknown'}`);
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new BatchSpanProcessor(countingExporter, { scheduledDelayMillis: 200 })],
  });
  provider.register();
  new LangChainInstrumentation({ tracerProvider: provider }).manuallyInstrument(CallbackManagerModule);

  /** Flushes and shuts down; returns {spans, exported, failures, runIds}. */
  async function finish() {
    try {
      await provider.forceFlush();
      await provider.shutdown();
    } catch (e) {  // already counted and reported by countingExporter
      tally.failures ||= 1;
      console.error(`error: flushing spans to ${endpoint} failed: ${e?.message ?? e}`);
    }
    return {
      spans: tally.spans,
      exported: tally.spans - Math.min(tally.failures, tally.spans),
      failures: tally.failures,
      runIds: [...tally.traceIds],
    };
  }
  return { provider, finish };
}
