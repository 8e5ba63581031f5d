// A LangGraph.js tool-calling agent traced into Tracery through a real framework instrumentation:
// @arizeai/openinference-instrumentation-langchain turns every LangChain/LangGraph run into an
// OpenInference span, and the OpenTelemetry SDK exports them as OTLP/HTTP protobuf. Tracery needs
// no Tracery-specific code here. The chat model is a scripted fake (no API key, no network) that
// emits tool calls and token usage like a real provider.
//
//   graph:  START -> agent (chat model with tools) -> tools (ToolNode) -> agent -> END
//
// Usage: node examples/langgraph/agent.mjs [--endpoint http://127.0.0.1:4318] [--json] [--no-agent-name]
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { setAttributes, setSession, setTags, setUser } from '@arizeai/openinference-core';
import { context } from '@opentelemetry/api';
import { startTracing } from './tracing.mjs';

const { values: opts } = parseArgs({
  options: {
    endpoint: { type: 'string', default: process.env.TRACERY_ENDPOINT ?? 'http://127.0.0.1:4318' },
    'api-key': { type: 'string', default: process.env.TRACERY_API_KEY },
    json: { type: 'boolean', default: false },
    'no-agent-name': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('usage: node agent.mjs [--endpoint URL] [--api-key KEY] [--json] [--no-agent-name]');
  process.exit(0);
}
const endpoint = opts.endpoint.replace(/\/+$/, '');

// 1. OpenTelemetry + OpenInference (tracing.mjs): a tracer provider exporting OTLP/HTTP protobuf to
//    Tracery, with LangChain.js instrumented through its callback manager module before any chain
//    runs. The LangChain/LangGraph modules are imported after this, on purpose.
const tracing = startTracing({
  endpoint,
  apiKey: opts['api-key'],
  resource: { 'service.name': 'weather-agent', 'service.version': '0.3.0', 'deployment.environment.name': 'dev' },
});

// 2. A scripted chat model (scripted_model.mjs) stands in for a provider.
const { ScriptedChatModel } = await import('./scripted_model.mjs');
const { HumanMessage, SystemMessage } = await import('@langchain/core/messages');
const { tool } = await import('@langchain/core/tools');
const { StateGraph, MessagesAnnotation, START, END } = await import('@langchain/langgraph');
const { ToolNode } = await import('@langchain/langgraph/prebuilt');
const { z } = await import('zod');

// 3. Tools and the graph.
const WEATHER = { oslo: { temp_c: 4, conditions: 'light rain', wind_kph: 18 } };
const getWeather = tool(async ({ city }) => JSON.stringify(WEATHER[city.toLowerCase()] ?? { error: 'unknown city' }), {
  name: 'get_weather', description: 'Current weather for a city', schema: z.object({ city: z.string() }) });
const getForecast = tool(async ({ city, days }) => JSON.stringify({ city, days,
  daily: [{ day: 1, conditions: 'rain', precip_mm: 7 }] }), {
  name: 'get_forecast', description: 'Daily forecast for a city',
  schema: z.object({ city: z.string(), days: z.number().int() }) });
const tools = [getWeather, getForecast];

const model = new ScriptedChatModel({ responseModel: 'gpt-4o-mini-2024-07-18', script: [
  { toolCalls: [{ name: 'get_weather', args: { city: 'Oslo' } }, { name: 'get_forecast', args: { city: 'Oslo', days: 1 } }] },
  { text: 'It is 4 °C with light rain in Oslo right now, and tomorrow brings about 7 mm of rain: bring an umbrella.' },
] }).bindTools(tools);

async function callModel(state) {
  return { messages: [await model.invoke(state.messages)] };
}
const routeAfterModel = (state) => (state.messages.at(-1).tool_calls?.length ? 'tools' : END);

const graph = new StateGraph(MessagesAnnotation)
  .addNode('agent', callModel)
  .addNode('tools', new ToolNode(tools))
  .addEdge(START, 'agent')
  .addConditionalEdges('agent', routeAfterModel, ['tools', END])
  .addEdge('tools', 'agent')
  .compile({ name: 'weather-agent' });

// 4. Run it. OpenInference context attributes go on every span the instrumentation creates inside
//    this context: session.id, user.id and tag.tags (the run's session, user and tags in Tracery),
//    and agent.name, the OpenInference attribute naming the agent. It is optional: without it
//    (--no-agent-name) Tracery recognises the graph from LangGraph's span metadata and names the
//    agent after the graph; with it, the explicit name wins.
const sessionId = `sess-${randomUUID().slice(0, 12)}`;
let ctx = setSession(context.active(), { sessionId });
ctx = setUser(ctx, { userId: 'user-55' });
ctx = setTags(ctx, ['langgraph-example']);
if (!opts['no-agent-name']) ctx = setAttributes(ctx, { 'agent.name': graph.name });
const result = await context.with(ctx, () => graph.invoke(
  { messages: [new SystemMessage('You are a concise weather assistant.'),
    new HumanMessage('What is the weather in Oslo, and do I need an umbrella tomorrow?')] },
  { configurable: { thread_id: sessionId } }));
const answer = result.messages.at(-1).content;

const sent = await tracing.finish();
const runIds = sent.runIds;
console.log(`user: What is the weather in Oslo, and do I need an umbrella tomorrow?\nagent: ${answer}`);
console.log(`sent ${sent.exported} of ${sent.spans} spans in ${runIds.length} run(s) to ${endpoint}`);
for (const id of runIds) console.log(`  run ${id}  weather-agent (LangGraph.js + OpenInference)`);
if (runIds.length) console.log(`see them with: tracery runs --server ${endpoint}   |   tracery show --server ${endpoint} ${runIds[0]}`);
if (opts.json) {
  console.log(JSON.stringify({ endpoint, spans_exported: sent.exported,
    runs: runIds.map((id) => ({ run_id: id, name: 'weather-agent',
      expect: { status: 'ok', session_id: sessionId, user_id: 'user-55', agent: graph.name } })) }));
}
process.exitCode = sent.failures ? 1 : 0;
