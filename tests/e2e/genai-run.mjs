// A realistic OTel GenAI agent run emitted through the real OpenTelemetry JS SDK, and the
// assertions that the server normalized it right. Shared by otel-proto/-json/-grpc tests.
//
// Tree (times in ms from t0; root ends last, as in real agents):
//   invoke_agent travel-planner            0..1000  agent (aggregate usage on it: a trap)
//   ├─ chat gpt-4o                         10..400  llm   in 120 / out 30, finish tool_call
//   ├─ execute_tool search_flights        410..440  tool  ERROR TimeoutError + exception event
//   ├─ execute_tool search_flights        450..500  tool  OK (the retry)
//   └─ chat gpt-4o                        510..900  llm   in 260 (100 cached) / out 45 (12 reasoning)
import assert from 'node:assert/strict';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SimpleSpanProcessor, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ExportResultCode } from '@opentelemetry/core';
import { getRunDetail, getContent, contentValue, listRuns } from './harness.mjs';

// Wraps an exporter and records every export result, so a test can assert that every
// request the real SDK made was acknowledged (the SDK itself only logs failures).
export class RecordingExporter {
  constructor(inner) {
    this.inner = inner;
    this.results = [];
    this.spansExported = 0;
  }
  export(spans, cb) {
    this.inner.export(spans, (result) => {
      this.results.push(result);
      if (result.code === ExportResultCode.SUCCESS) this.spansExported += spans.length;
      cb(result);
    });
  }
  shutdown() { return this.inner.shutdown(); }
  forceFlush() { return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve(); }
  assertAllSucceeded(minCalls = 1) {
    assert.ok(this.results.length >= minCalls, `expected >= ${minCalls} exports, got ${this.results.length}`);
    const failed = this.results.filter((r) => r.code !== ExportResultCode.SUCCESS);
    assert.equal(failed.length, 0,
      `exports failed: ${failed.map((r) => r.error?.message ?? String(r.error)).join('; ')}`);
  }
}

export function makeProvider(exporter, { batch = false, serviceName = 'e2e-travel' } = {}) {
  const processor = batch
    ? new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50, maxExportBatchSize: 512 })
    : new SimpleSpanProcessor(exporter);
  return new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': serviceName,
      'service.version': '0.9.0',
      'deployment.environment.name': 'e2e',
    }),
    spanProcessors: [processor],
  });
}

const at = (t0, ms) => new Date(t0 + ms);

export const INPUT_MESSAGES_1 = [
  { role: 'system', parts: [{ type: 'text', content: 'You are a travel planner.' }] },
  { role: 'user', parts: [{ type: 'text', content: 'Find me a flight from Paris to Oslo on Friday.' }] },
];
export const OUTPUT_MESSAGES_1 = [
  {
    role: 'assistant', finish_reason: 'tool_call',
    parts: [{ type: 'tool_call', id: 'call_1', name: 'search_flights', arguments: { from: 'CDG', to: 'OSL', day: 'friday' } }],
  },
];
export const OUTPUT_MESSAGES_2 = [
  { role: 'assistant', finish_reason: 'stop', parts: [{ type: 'text', content: 'SK 834 leaves CDG at 09:10.' }] },
];

// Emits one run with the given tracer provider; returns the ids to assert on.
export async function emitGenAiRun(provider, { label, t0 = Date.now() - 60_000 }) {
  const tracer = provider.getTracer('e2e-genai', '1.0.0');
  const root = tracer.startSpan('invoke_agent travel-planner', {
    kind: SpanKind.INTERNAL,
    startTime: at(t0, 0),
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'openai',
      'gen_ai.agent.name': 'travel-planner',
      'gen_ai.agent.version': '1.4.0',
      'gen_ai.conversation.id': `conv-${label}`,
      // Aggregate usage on the agent span: must NOT be added to the LLM steps' usage.
      'gen_ai.usage.input_tokens': 380,
      'gen_ai.usage.output_tokens': 75,
    },
  });
  const rootCtx = trace.setSpan(context.active(), root);

  const llm1 = tracer.startSpan('chat gpt-4o', {
    kind: SpanKind.CLIENT,
    startTime: at(t0, 10),
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.response.finish_reasons': ['tool_call'],
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.input.messages': JSON.stringify(INPUT_MESSAGES_1),
      'gen_ai.output.messages': JSON.stringify(OUTPUT_MESSAGES_1),
    },
  }, rootCtx);
  llm1.end(at(t0, 400));

  const toolAttrs = {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'search_flights',
    'gen_ai.tool.type': 'function',
    'gen_ai.tool.call.id': 'call_1',
    'gen_ai.tool.call.arguments': JSON.stringify({ from: 'CDG', to: 'OSL', day: 'friday' }),
  };
  const toolFail = tracer.startSpan('execute_tool search_flights',
    { kind: SpanKind.INTERNAL, startTime: at(t0, 410), attributes: toolAttrs }, rootCtx);
  const err = new Error('search_flights timed out after 30s');
  err.name = 'TimeoutError';
  toolFail.recordException(err, at(t0, 439));
  toolFail.setAttribute('error.type', 'TimeoutError');
  toolFail.setStatus({ code: SpanStatusCode.ERROR, message: 'search_flights timed out after 30s' });
  toolFail.end(at(t0, 440));

  const toolRetry = tracer.startSpan('execute_tool search_flights',
    { kind: SpanKind.INTERNAL, startTime: at(t0, 450), attributes: toolAttrs }, rootCtx);
  toolRetry.setAttribute('gen_ai.tool.call.result', JSON.stringify({ flights: ['SK 834'] }));
  toolRetry.setStatus({ code: SpanStatusCode.OK });
  toolRetry.end(at(t0, 500));

  const llm2 = tracer.startSpan('chat gpt-4o', {
    kind: SpanKind.CLIENT,
    startTime: at(t0, 510),
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 260,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.usage.output_tokens': 45,
      'gen_ai.usage.reasoning.output_tokens': 12,
      'gen_ai.output.messages': JSON.stringify(OUTPUT_MESSAGES_2),
    },
  }, rootCtx);
  llm2.end(at(t0, 900));
  root.end(at(t0, 1000));

  await provider.forceFlush();
  const id = (s) => s.spanContext().spanId;
  return {
    label,
    traceId: root.spanContext().traceId,
    root: id(root), llm1: id(llm1), toolFail: id(toolFail), toolRetry: id(toolRetry), llm2: id(llm2),
  };
}

// Asserts everything the server must have derived from one emitted run.
export async function assertGenAiRun(server, ids) {
  const d = await getRunDetail(server, ids.traceId);
  const run = d.run;
  assert.equal(run.run_id, ids.traceId);
  assert.match(run.run_id, /^[0-9a-f]{32}$/);
  assert.equal(run.name, 'invoke_agent travel-planner');
  assert.equal(run.agent_id, 'travel-planner');
  assert.equal(run.agent_version, '1.4.0');
  assert.equal(run.environment, 'e2e');
  assert.equal(run.session_id, `conv-${ids.label}`);
  assert.equal(run.service_name, 'e2e-travel');
  assert.equal(run.duration_ms, 1000);
  // A retry recovered the only failure: partial, not failed, not ok.
  assert.equal(run.status, 'partial');
  assert.equal(run.step_count, 5);
  assert.equal(run.llm_count, 2);
  assert.equal(run.tool_count, 2);
  assert.equal(run.retry_count, 1);
  assert.equal(run.error_count, 1);
  assert.equal(run.agent_count, 1);
  // LLM steps only: 120+260 / 30+45. The agent span's aggregate (380/75) must not double it.
  assert.deepEqual(run.tokens, { input: 380, output: 75, total: 455, cache_read: 100, cache_write: 0, reasoning: 12 });
  assert.deepEqual(run.models, ['gpt-4o-2024-08-06']);
  assert.ok(run.failure, 'run.failure missing');
  assert.equal(run.failure.type, 'tool');
  assert.equal(run.failure.code, 'timeout');
  assert.equal(run.failure.step_id, ids.toolFail);
  assert.equal(run.failure.error_type, 'TimeoutError');
  assert.equal(run.failure.recovered, true);

  assert.equal(d.total_steps, 5);
  assert.deepEqual(d.steps.map((s) => s.type), ['agent', 'llm', 'tool', 'tool', 'llm']);
  assert.deepEqual(d.steps.map((s) => s.step_id), [ids.root, ids.llm1, ids.toolFail, ids.toolRetry, ids.llm2]);
  assert.deepEqual(d.steps.map((s) => s.seq), [...d.steps.keys()].map((i) => d.steps[0].seq + i));
  assert.deepEqual(d.steps.map((s) => s.parent_id), ['', ids.root, ids.root, ids.root, ids.root]);
  for (const s of d.steps) assert.equal(s.agent, 'travel-planner', `agent of step ${s.name}`);
  assert.deepEqual(d.steps.map((s) => s.status), ['unset', 'unset', 'error', 'ok', 'unset']);

  const [, llm1, toolFail, toolRetry, llm2] = d.steps;
  assert.equal(llm1.model, 'gpt-4o-2024-08-06');
  assert.equal(llm1.provider, 'openai');
  assert.equal(llm1.tokens.input, 120);
  assert.equal(llm1.tokens.output, 30);
  assert.equal(llm2.tokens.cache_read, 100);
  assert.equal(llm2.tokens.reasoning, 12);
  assert.equal(llm1.duration_ms, 390);
  assert.equal(toolFail.tool_name, 'search_flights');
  assert.ok(toolFail.failure, 'failing tool step has no failure');
  assert.equal(toolFail.failure.type, 'tool');
  assert.equal(toolFail.failure.code, 'timeout');
  assert.match(toolFail.failure.message, /timed out after 30s/);
  assert.ok(toolFail.events.some((e) => e.name === 'exception'), 'exception event missing on the failing step');
  assert.equal(toolRetry.attempt, 2);
  assert.equal(toolRetry.retry_of, ids.toolFail);
  assert.equal(toolRetry.failure, null);
  assert.equal(toolFail.retry_of, '');

  assert.ok(Array.isArray(d.failures) && d.failures.length === 1, `failures: ${JSON.stringify(d.failures)}`);
  assert.equal(d.failures[0].step_id, ids.toolFail);
  assert.deepEqual(d.agents.map((a) => a.name), ['travel-planner']);

  // Content is fetched on demand and round-trips the exact messages.
  const c1 = await getContent(server, ids.traceId, ids.llm1);
  assert.deepEqual(contentValue(c1.input), INPUT_MESSAGES_1);
  assert.deepEqual(contentValue(c1.output), OUTPUT_MESSAGES_1);
  const c2 = await getContent(server, ids.traceId, ids.llm2);
  assert.deepEqual(contentValue(c2.output), OUTPUT_MESSAGES_2);
  const ct = await getContent(server, ids.traceId, ids.toolRetry);
  assert.deepEqual(JSON.parse(typeof ct['tool.result'].value === 'string'
    ? ct['tool.result'].value : JSON.stringify(ct['tool.result'].value)), { flights: ['SK 834'] });
}

// Emits a gzip and an uncompressed run through `makeExporter(compression)` and asserts both.
export async function runTransportSuite(t, server, makeExporter) {
  const emitted = [];
  for (const compression of ['gzip', 'none']) {
    const exporter = new RecordingExporter(makeExporter(compression));
    const provider = makeProvider(exporter);
    emitted.push(await emitGenAiRun(provider, { label: compression }));
    await provider.shutdown();
    exporter.assertAllSucceeded(5);  // SimpleSpanProcessor: one request per span
    assert.equal(exporter.spansExported, 5);
  }
  // Batch processor too: all five spans in one request.
  const exporter = new RecordingExporter(makeExporter('gzip'));
  const provider = makeProvider(exporter, { batch: true });
  emitted.push(await emitGenAiRun(provider, { label: 'batch' }));
  await provider.shutdown();
  exporter.assertAllSucceeded(1);
  assert.equal(exporter.spansExported, 5);

  const runs = await listRuns(server);
  assert.equal(runs.length, emitted.length);
  assert.deepEqual(runs.map((r) => r.run_id).sort(), emitted.map((e) => e.traceId).sort());
  for (const ids of emitted) {
    await t.test(`run ${ids.label}`, () => assertGenAiRun(server, ids));
  }
  const partial = await listRuns(server, 'status=partial&agent=travel-planner');
  assert.equal(partial.length, emitted.length);
  const byFailure = await listRuns(server, 'failure_type=tool&failure_code=timeout');
  assert.equal(byFailure.length, emitted.length);
  const none = await listRuns(server, 'status=failed');
  assert.equal(none.length, 0);
  const bySession = await listRuns(server, 'session=conv-gzip');
  assert.deepEqual(bySession.map((r) => r.run_id), [emitted[0].traceId]);
  return emitted;
}
