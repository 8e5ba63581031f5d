// Sends one huge agent run (default 100,000 steps) to a tracery server through the real
// OpenTelemetry JS SDK: spans are made by a NodeTracerProvider, collected as they end, and sent
// in batches by the OTLP/protobuf exporter (awaiting each answer, so the server is never asked to
// queue more than one batch from us).
//
//   node tests/e2e/tools/gen-big-run.mjs http://127.0.0.1:4318 [steps]
//
// Shape: `invoke_agent big-agent` (root) with groups of 9 steps: an `iteration N` step whose
// children are chat / tool / tool / tool / chat / tool / tool / chat. 100,000 = 1 + 11,111 × 9.
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { pathToFileURL } from 'node:url';

const GROUP = 9;
const CHILDREN = ['chat gpt-4o-mini', 'execute_tool read_file', 'execute_tool grep', 'execute_tool run_tests',
  'chat gpt-4o-mini', 'execute_tool edit_file', 'execute_tool run_tests', 'chat gpt-4o-mini'];

// Collects every ended span; the caller exports them in batches itself.
class CollectingProcessor {
  constructor() { this.spans = []; }
  onStart() {}
  onEnd(span) { this.spans.push(span); }
  forceFlush() { return Promise.resolve(); }
  shutdown() { return Promise.resolve(); }
}

function exportOnce(exporter, spans) {
  return new Promise((resolve, reject) => {
    exporter.export(spans, (r) => {
      if (r.code === ExportResultCode.SUCCESS) resolve();
      else reject(new Error(`export of ${spans.length} spans failed: ${r.error?.message ?? r.error}`));
    });
  });
}

// Returns {traceId, rootId, firstGroupId, lastGroupId, lastStepId, steps, ms: {make, send}}.
// `steps` must be 1 + 9k. Every 97th tool step fails (the root does not), so the run is
// `partial` and failures are spread over the whole run.
export async function sendBigRun(baseUrl, { steps = 100_000, batch = 5000, t0 = Date.now() - 30 * 60_000 } = {}) {
  if ((steps - 1) % GROUP !== 0) throw new Error(`steps must be 1 + 9k, got ${steps}`);
  const groups = (steps - 1) / GROUP;
  const collector = new CollectingProcessor();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'big-e2e', 'deployment.environment.name': 'e2e' }),
    spanProcessors: [collector],
  });
  const tracer = provider.getTracer('ui-e2e-big', '1.0.0');
  const at = (ms) => new Date(t0 + ms);
  const tMake = performance.now();
  const root = tracer.startSpan('invoke_agent big-agent', {
    startTime: at(0),
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'big-agent', 'gen_ai.agent.version': '0.1.0' },
  });
  const rootCtx = trace.setSpan(context.active(), root);
  let firstGroupId = '';
  let lastGroupId = '';
  let lastStepId = '';
  let toolN = 0;
  for (let g = 0; g < groups; g++) {
    const base = 1 + g * 10;
    const grp = tracer.startSpan(`iteration ${g}`, { startTime: at(base), attributes: { 'iteration.index': g } }, rootCtx);
    const gctx = trace.setSpan(rootCtx, grp);
    for (let c = 0; c < CHILDREN.length; c++) {
      const name = CHILDREN[c];
      const isLlm = name.startsWith('chat');
      const attributes = isLlm
        ? { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 100 + c, 'gen_ai.usage.output_tokens': 10 }
        : { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name.slice('execute_tool '.length) };
      const s = tracer.startSpan(name, { kind: isLlm ? SpanKind.CLIENT : SpanKind.INTERNAL, startTime: at(base + c + 0.1) }, gctx);
      s.setAttributes(attributes);
      if (!isLlm && ++toolN % 97 === 0) {
        s.setAttribute('error.type', 'ToolError');
        s.setStatus({ code: SpanStatusCode.ERROR, message: `tool ${name} failed in iteration ${g}` });
      }
      s.end(at(base + c + 0.9));
      lastStepId = s.spanContext().spanId;
    }
    grp.end(at(base + 9));
    if (g === 0) firstGroupId = grp.spanContext().spanId;
    lastGroupId = grp.spanContext().spanId;
  }
  root.end(at(groups * 10 + 5));
  const makeMs = performance.now() - tMake;

  const exporter = new OTLPTraceExporter({ url: `${baseUrl}/v1/traces`, timeoutMillis: 120_000 });
  const spans = collector.spans;
  const tSend = performance.now();
  // Root last, as real agents end it: the run is `running` until the final batch lands.
  for (let i = 0; i < spans.length; i += batch) {
    await exportOnce(exporter, spans.slice(i, i + batch));
  }
  const sendMs = performance.now() - tSend;
  await exporter.shutdown();
  await provider.shutdown();
  return {
    traceId: root.spanContext().traceId, rootId: root.spanContext().spanId,
    firstGroupId, lastGroupId, lastStepId, steps: spans.length, ms: { make: makeMs, send: sendMs },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [url = 'http://127.0.0.1:4318', n = '100000'] = process.argv.slice(2);
  const r = await sendBigRun(url, { steps: Number(n) });
  console.log(JSON.stringify(r));
}
