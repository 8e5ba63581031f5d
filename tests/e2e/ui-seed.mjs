// Data for the UI tests, sent by the real OpenTelemetry JS SDK (OTLP/protobuf exporter) to a
// real server: single-agent runs (ok, failed with a tool timeout, partial with a retry), a
// multi-agent run (planner -> specialists with handoffs), and, in tools/gen-big-run.mjs, a
// 100,000-step run. Returns ids so tests can assert on what the UI shows.
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { RecordingExporter, makeProvider, emitGenAiRun } from './genai-run.mjs';

const at = (t0, ms) => new Date(t0 + ms);

// A provider exporting OTLP/protobuf to `server`, with a given resource (service, version, env).
export function protoProvider(server, { serviceName = 'ui-e2e', batch = true } = {}) {
  const exporter = new RecordingExporter(new OTLPTraceExporter({
    url: `${server.baseUrl}/v1/traces`, timeoutMillis: 60_000,
  }));
  const provider = makeProvider(exporter, { batch, serviceName });
  return { provider, exporter };
}

// Helper to build a span tree with explicit times: span(name, {parent, start, end, attrs, error}).
function spanMaker(tracer, t0) {
  const ids = {};
  const make = (key, name, { parent = null, start, end, attributes = {}, error = null, kind = SpanKind.INTERNAL }) => {
    const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
    const s = tracer.startSpan(name, { kind, startTime: at(t0, start), attributes }, ctx);
    if (error) {
      const e = new Error(error.message);
      e.name = error.type;
      s.recordException(e, at(t0, end - 1));
      s.setAttribute('error.type', error.type);
      s.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    ids[key] = s.spanContext().spanId;
    return { span: s, end: () => s.end(at(t0, end)) };
  };
  return { make, ids };
}

const chatAttrs = (model, inTok, outTok, extra = {}) => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': model,
  'gen_ai.response.model': model,
  'gen_ai.usage.input_tokens': inTok,
  'gen_ai.usage.output_tokens': outTok,
  ...extra,
});
const toolAttrs = (name, args) => ({
  'gen_ai.operation.name': 'execute_tool',
  'gen_ai.tool.name': name,
  'gen_ai.tool.type': 'function',
  'gen_ai.tool.call.arguments': JSON.stringify(args),
});
const agentAttrs = (name, version, extra = {}) => ({
  'gen_ai.operation.name': 'invoke_agent',
  'gen_ai.agent.name': name,
  ...(version ? { 'gen_ai.agent.version': version } : {}),
  ...extra,
});

// support-bot: an ok run, or a failed run whose tool timeout propagates to the root.
async function emitSupportRun(provider, { version, fail, session, user, t0 }) {
  const tracer = provider.getTracer('ui-e2e-support', '1.0.0');
  const { make, ids } = spanMaker(tracer, t0);
  const root = make('root', 'invoke_agent support-bot', {
    start: 0, end: 1500,
    attributes: agentAttrs('support-bot', version, { 'gen_ai.conversation.id': session, 'user.id': user }),
    error: fail ? { type: 'TimeoutError', message: 'lookup_order timed out after 10s' } : null,
  });
  const llm = make('llm1', 'chat gpt-4o-mini', {
    parent: root.span, start: 10, end: 300, kind: SpanKind.CLIENT,
    attributes: chatAttrs('gpt-4o-mini', 90, 20, {
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Where is my order 1234?' }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', finish_reason: 'tool_call',
        parts: [{ type: 'tool_call', id: 'c1', name: 'lookup_order', arguments: { order: 1234 } }] }]),
    }),
  });
  llm.end();
  const tool = make('tool', 'execute_tool lookup_order', {
    parent: root.span, start: 310, end: fail ? 1400 : 600,
    attributes: toolAttrs('lookup_order', { order: 1234 }),
    error: fail ? { type: 'TimeoutError', message: 'lookup_order timed out after 10s' } : null,
  });
  tool.end();
  if (!fail) {
    const llm2 = make('llm2', 'chat gpt-4o-mini', {
      parent: root.span, start: 610, end: 1400, kind: SpanKind.CLIENT,
      attributes: chatAttrs('gpt-4o-mini', 150, 40, {
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', finish_reason: 'stop',
          parts: [{ type: 'text', content: 'Order 1234 ships tomorrow.' }] }]),
      }),
    });
    llm2.end();
  }
  root.end();
  await provider.forceFlush();
  return { traceId: root.span.spanContext().traceId, ...ids };
}

// planner -> flight-specialist (twice) and hotel-specialist, each reached by a transfer_to_* tool
// (a handoff) and then invoked under the planner (an invoke message).
async function emitMultiAgentRun(provider, { t0 }) {
  const tracer = provider.getTracer('ui-e2e-multi', '1.0.0');
  const { make, ids } = spanMaker(tracer, t0);
  const root = make('root', 'invoke_agent planner', {
    start: 0, end: 6000,
    attributes: agentAttrs('planner', '3.1.0', { 'gen_ai.conversation.id': 'trip-42', 'user.id': 'u-ada' }),
  });
  make('plan', 'chat gpt-4o', {
    parent: root.span, start: 10, end: 400, kind: SpanKind.CLIENT,
    attributes: chatAttrs('gpt-4o', 300, 60, {
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Plan a weekend in Oslo: flights and a hotel.' }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', finish_reason: 'tool_call',
        parts: [{ type: 'tool_call', id: 't1', name: 'transfer_to_flight-specialist', arguments: {} }] }]),
    }),
  }).end();
  let t = 410;
  const visit = (key, agent, tools) => {
    make(`${key}_handoff`, `execute_tool transfer_to_${agent}`, {
      parent: root.span, start: t, end: t + 10, attributes: toolAttrs(`transfer_to_${agent}`, {}),
    }).end();
    const a = make(key, `invoke_agent ${agent}`, {
      parent: root.span, start: t + 20, end: t + 1500, attributes: agentAttrs(agent, '1.0.0'),
    });
    make(`${key}_llm`, 'chat gpt-4o-mini', {
      parent: a.span, start: t + 30, end: t + 600, kind: SpanKind.CLIENT,
      attributes: chatAttrs('gpt-4o-mini', 200, 50),
    }).end();
    let tt = t + 610;
    for (const tool of tools) {
      make(`${key}_${tool}`, `execute_tool ${tool}`, {
        parent: a.span, start: tt, end: tt + 300, attributes: toolAttrs(tool, { city: 'OSL' }),
      }).end();
      tt += 310;
    }
    a.end();
    t += 1600;
  };
  visit('flight1', 'flight-specialist', ['search_flights']);
  visit('hotel', 'hotel-specialist', ['search_hotels', 'book_hotel']);
  visit('flight2', 'flight-specialist', ['book_flight']);
  make('answer', 'chat gpt-4o', {
    parent: root.span, start: t, end: t + 500, kind: SpanKind.CLIENT,
    attributes: chatAttrs('gpt-4o', 900, 120, {
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', finish_reason: 'stop',
        parts: [{ type: 'text', content: 'Booked SK 834 and Hotel Continental.' }] }]),
    }),
  }).end();
  root.end();
  await provider.forceFlush();
  return { traceId: root.span.spanContext().traceId, ...ids };
}

// Seeds the standard set. Start times are spread over the last hour, so the list order (newest
// first) is known: multi, failed, ok2, ok, partial.
export async function seedStandardRuns(server) {
  const { provider, exporter } = protoProvider(server);
  const now = Date.now();
  const partial = await emitGenAiRun(provider, { label: 'ui', t0: now - 50 * 60_000 });
  const ok = await emitSupportRun(provider, { version: '2.0.0', fail: false, session: 'sess-a', user: 'u-bob', t0: now - 40 * 60_000 });
  const ok2 = await emitSupportRun(provider, { version: '2.1.0', fail: false, session: 'sess-a', user: 'u-bob', t0: now - 30 * 60_000 });
  const failed = await emitSupportRun(provider, { version: '2.1.0', fail: true, session: 'sess-b', user: 'u-carol', t0: now - 20 * 60_000 });
  const multi = await emitMultiAgentRun(provider, { t0: now - 10 * 60_000 });
  await provider.shutdown();
  exporter.assertAllSucceeded(1);
  return { partial, ok, ok2, failed, multi, all: [partial, ok, ok2, failed, multi] };
}

// One more ok run (for the live-update test), sent now.
export async function sendLiveRun(server) {
  const { provider, exporter } = protoProvider(server, { batch: false });
  const ids = await emitSupportRun(provider, { version: '2.1.0', fail: false, session: 'sess-live', user: 'u-live', t0: Date.now() - 2000 });
  await provider.shutdown();
  exporter.assertAllSucceeded(1);
  return ids;
}
