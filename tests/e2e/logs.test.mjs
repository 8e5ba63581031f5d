// GenAI events sent as OTLP log records (real @opentelemetry/sdk-logs + exporter-logs-otlp-http)
// attach to the step (span) they reference, even when they arrive before the span itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode } from '@opentelemetry/core';
import { startServer, getRunDetail, sleep } from './harness.mjs';
import { RecordingExporter, makeProvider } from './genai-run.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

class RecordingLogExporter {
  constructor(inner) { this.inner = inner; this.results = []; }
  export(logs, cb) { this.inner.export(logs, (r) => { this.results.push(r); cb(r); }); }
  shutdown() { return this.inner.shutdown(); }
  forceFlush() { return this.inner.forceFlush?.() ?? Promise.resolve(); }
}

test('GenAI events as log records attach to their steps', async () => {
  const spanExporter = new RecordingExporter(new OTLPTraceExporter({ url: `${server.baseUrl}/v1/traces` }));
  const tracerProvider = makeProvider(spanExporter, { serviceName: 'e2e-logs' });
  const logExporter = new RecordingLogExporter(new OTLPLogExporter({ url: `${server.baseUrl}/v1/logs`, compression: 'gzip' }));
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
  const logger = loggerProvider.getLogger('e2e-genai-events', '1.0.0');
  const tracer = tracerProvider.getTracer('e2e');
  const t0 = Date.now() - 30_000;

  const root = tracer.startSpan('invoke_agent greeter', {
    startTime: new Date(t0), attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'greeter' },
  });
  const rootCtx = trace.setSpan(context.active(), root);
  const chat = tracer.startSpan('chat gpt-4o-mini', {
    kind: SpanKind.CLIENT, startTime: new Date(t0 + 10),
    attributes: {
      'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.prompt_tokens': 11, 'gen_ai.usage.completion_tokens': 3,
    },
  }, rootCtx);
  const chatCtx = trace.setSpan(context.active(), chat);
  // Deprecated (v1.36) GenAI events, emitted while the span is open: they reach the server first.
  logger.emit({
    eventName: 'gen_ai.user.message', context: chatCtx, timestamp: new Date(t0 + 11),
    severityNumber: SeverityNumber.INFO, body: { role: 'user', content: 'Say hello to Ada' },
    attributes: { 'gen_ai.system': 'openai' },
  });
  logger.emit({
    eventName: 'gen_ai.choice', context: chatCtx, timestamp: new Date(t0 + 90),
    severityNumber: SeverityNumber.INFO,
    body: { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello, Ada!' } },
    attributes: { 'gen_ai.system': 'openai' },
  });
  chat.end(new Date(t0 + 100));
  // Older SDKs put the event name in the `event.name` attribute instead of event_name.
  logger.emit({
    context: rootCtx, timestamp: new Date(t0 + 150), severityNumber: SeverityNumber.INFO,
    body: 'evaluation', attributes: {
      'event.name': 'gen_ai.evaluation.result', 'gen_ai.evaluation.name': 'politeness',
      'gen_ai.evaluation.score.value': 0.9, 'gen_ai.evaluation.score.label': 'polite',
    },
  });

  // A second LLM call whose failure is reported only by a gen_ai.client.operation.exception event.
  const chat2 = tracer.startSpan('chat gpt-4o-mini', {
    kind: SpanKind.CLIENT, startTime: new Date(t0 + 200),
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' },
  }, rootCtx);
  chat2.setStatus({ code: SpanStatusCode.ERROR, message: 'Rate limit reached for gpt-4o-mini' });
  chat2.setAttribute('error.type', 'RateLimitError');
  logger.emit({
    eventName: 'gen_ai.client.operation.exception', context: trace.setSpan(context.active(), chat2),
    timestamp: new Date(t0 + 250), severityNumber: SeverityNumber.WARN,
    attributes: { 'exception.type': 'RateLimitError', 'exception.message': 'Rate limit reached for gpt-4o-mini' },
  });
  chat2.end(new Date(t0 + 260));
  root.end(new Date(t0 + 300));

  await loggerProvider.forceFlush();
  await tracerProvider.forceFlush();
  // SimpleLogRecordProcessor's flush does not always await in-flight exports; wait for the acks.
  for (let i = 0; i < 200 && logExporter.results.length < 4; i++) await sleep(25);
  assert.equal(logExporter.results.length, 4);
  for (const r of logExporter.results) assert.equal(r.code, ExportResultCode.SUCCESS, String(r.error));
  spanExporter.assertAllSucceeded(3);

  const traceId = root.spanContext().traceId;
  const d = await getRunDetail(server, traceId);
  assert.deepEqual(d.steps.map((s) => s.type), ['agent', 'llm', 'llm']);
  const [rootStep, chatStep, chat2Step] = d.steps;
  assert.equal(chatStep.step_id, chat.spanContext().spanId);
  assert.deepEqual(chatStep.events.map((e) => e.name), ['gen_ai.user.message', 'gen_ai.choice']);
  assert.ok(JSON.stringify(chatStep.events[0]).includes('Say hello to Ada'), JSON.stringify(chatStep.events[0]));
  assert.ok(JSON.stringify(chatStep.events[1]).includes('Hello, Ada!'), JSON.stringify(chatStep.events[1]));
  assert.ok(rootStep.events.some((e) => e.name === 'gen_ai.evaluation.result'),
    `evaluation event missing on the root step: ${JSON.stringify(rootStep.events)}`);
  assert.ok(chat2Step.events.some((e) => e.name === 'gen_ai.client.operation.exception'));
  // Deprecated usage names still count.
  assert.equal(chatStep.tokens.input, 11);
  assert.equal(chatStep.tokens.output, 3);
  assert.equal(d.run.tokens.input, 11);
  // The rate limit is a model failure; nothing recovered it and it is not on the root: partial.
  assert.ok(chat2Step.failure);
  assert.equal(chat2Step.failure.type, 'model');
  assert.equal(chat2Step.failure.code, 'rate_limit');
  assert.equal(d.run.failure?.code, 'rate_limit');
  await loggerProvider.shutdown();
  await tracerProvider.shutdown();
});
