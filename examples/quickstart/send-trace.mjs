// Sends one small agent run to Tracery with the real OpenTelemetry JS SDK over OTLP/HTTP protobuf:
// an agent span, an LLM call with GenAI token usage, a tool call that times out, its successful
// retry, and a final LLM call. Usage: node send-trace.mjs [http://127.0.0.1:4318]
import { SpanStatusCode } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';

const base = process.argv[2] ?? 'http://127.0.0.1:4318';
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'support-bot', 'service.version': '1.4.0',
    'deployment.environment.name': 'dev' }),
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }))],
});
provider.register();  // installs the context manager so child spans join the active trace
const tracer = provider.getTracer('quickstart');

function child(name, attrs, fn) {
  return tracer.startActiveSpan(name, { attributes: attrs }, (span) => {
    try { fn?.(span); } finally { span.end(); }
  });
}

tracer.startActiveSpan('invoke_agent support-bot', {
  attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support-bot',
    'gen_ai.conversation.id': 'conv-42', 'user.id': 'user-7' },
}, (root) => {
  const messages = [{ role: 'user', parts: [{ type: 'text', content: 'Where is my order #1234?' }] }];
  child('chat gpt-4o-mini', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 18,
    'gen_ai.input.messages': JSON.stringify(messages) });
  child('execute_tool lookup_order', { 'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'lookup_order', 'gen_ai.tool.call.arguments': '{"order":1234}' }, (span) => {
    span.recordException({ name: 'TimeoutError', message: 'orders API timed out after 5s' });
    span.setAttribute('error.type', 'TimeoutError');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'orders API timed out after 5s' });
  });
  child('execute_tool lookup_order', { 'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'lookup_order', 'gen_ai.tool.call.arguments': '{"order":1234}',
    'gen_ai.tool.call.result': '{"status":"shipped"}' });
  child('chat gpt-4o-mini', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 160, 'gen_ai.usage.output_tokens': 25,
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', finish_reason: 'stop',
      parts: [{ type: 'text', content: 'Your order has shipped.' }] }]) });
  root.end();
});

await provider.forceFlush();
await provider.shutdown();
console.log(`sent one run to ${base}; see it with: tracery runs`);
