// A LangGraph.js multi-agent graph (a supervisor handing off to two sub-agents) traced into Tracery
// by the stock OpenInference LangChain instrumentation, with no Tracery code and no agent.name:
// Tracery recognises the graph and each sub-graph as agents from LangGraph's own span metadata.
//
//   travel-supervisor (StateGraph)
//     supervisor (chat model with transfer_to_<agent> tools) -> handoff (ToolNode)
//       -> flight_agent (createReactAgent sub-graph: model -> search_flights -> model)
//       -> supervisor -> handoff -> hotel_agent (createReactAgent sub-graph) -> supervisor -> END
//
// flight_agent is a named sub-graph (createReactAgent({ name })), hotel_agent an unnamed one
// (LangGraph runs it as "LangGraph"); Tracery names both agents after the node that runs them.
//
// The handoff tools follow the langgraph-supervisor/swarm convention `transfer_to_<agent>`; the
// routing is done by the parent graph (that package is not a dependency of this example).
// The chat models are scripted fakes (no API key, no network), as in agent.mjs.
//
// Usage: node examples/langgraph/multi_agent.mjs [--endpoint http://127.0.0.1:4318] [--json]
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { setSession } from '@arizeai/openinference-core';
import { context } from '@opentelemetry/api';
import { startTracing } from './tracing.mjs';

const { values: opts } = parseArgs({
  options: {
    endpoint: { type: 'string', default: process.env.TRACERY_ENDPOINT ?? 'http://127.0.0.1:4318' },
    'api-key': { type: 'string', default: process.env.TRACERY_API_KEY },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log('usage: node multi_agent.mjs [--endpoint URL] [--api-key KEY] [--json]');
  process.exit(0);
}
const endpoint = opts.endpoint.replace(/\/+$/, '');

// 1. OpenTelemetry + OpenInference (tracing.mjs), before any LangChain/LangGraph module is loaded.
const tracing = startTracing({
  endpoint,
  apiKey: opts['api-key'],
  resource: { 'service.name': 'travel-desk', 'deployment.environment.name': 'dev' },
});

// 2. A scripted chat model (scripted_model.mjs) stands in for a provider.
const { ScriptedChatModel } = await import('./scripted_model.mjs');
const { HumanMessage } = await import('@langchain/core/messages');
const { tool } = await import('@langchain/core/tools');
const { StateGraph, MessagesAnnotation, START, END } = await import('@langchain/langgraph');
const { ToolNode, createReactAgent } = await import('@langchain/langgraph/prebuilt');
const { z } = await import('zod');

// 3. Two sub-agents, each a createReactAgent sub-graph with its own tool and model.
const searchFlights = tool(async ({ from, to }) => JSON.stringify([{ flight: 'SK4035', from, to, depart: '07:10' }]), {
  name: 'search_flights', description: 'Find flights', schema: z.object({ from: z.string(), to: z.string() }) });
const searchHotels = tool(async ({ city }) => JSON.stringify([{ hotel: 'Bryggen Inn', city, price_eur: 140 }]), {
  name: 'search_hotels', description: 'Find hotels', schema: z.object({ city: z.string() }) });

const flightAgent = createReactAgent({
  name: 'flight_agent',
  llm: new ScriptedChatModel({ script: [
    { toolCalls: [{ name: 'search_flights', args: { from: 'Oslo', to: 'Bergen' } }] },
    { text: 'Flight SK4035 leaves Oslo at 07:10.' },
  ] }),
  tools: [searchFlights],
});
const hotelAgent = createReactAgent({  // no name: its span is LangGraph's default "LangGraph"
  llm: new ScriptedChatModel({ script: [
    { toolCalls: [{ name: 'search_hotels', args: { city: 'Bergen' } }] },
    { text: 'Bryggen Inn has a room for 140 EUR.' },
  ] }),
  tools: [searchHotels],
});

// 4. The supervisor: a model with one transfer_to_<agent> tool per sub-agent; the parent graph
//    runs the tool call and routes to the named sub-graph, which reports back to the supervisor.
const AGENTS = { flight_agent: flightAgent, hotel_agent: hotelAgent };
const handoffTools = Object.keys(AGENTS).map((name) => tool(async () => `Transferred to ${name}`, {
  name: `transfer_to_${name}`, description: `Hand the conversation to ${name}`, schema: z.object({}) }));
const supervisorModel = new ScriptedChatModel({ script: [
  { toolCalls: [{ name: 'transfer_to_flight_agent', args: {} }] },
  { toolCalls: [{ name: 'transfer_to_hotel_agent', args: {} }] },
  { text: 'Booked plan: flight SK4035 at 07:10 to Bergen, and Bryggen Inn at 140 EUR a night.' },
] }).bindTools(handoffTools);

const lastToolCall = (state) => state.messages.at(-1).tool_calls?.[0]?.name;
let graph = new StateGraph(MessagesAnnotation)
  .addNode('supervisor', async (state) => ({ messages: [await supervisorModel.invoke(state.messages)] }))
  .addNode('handoff', new ToolNode(handoffTools))
  .addEdge(START, 'supervisor')
  .addConditionalEdges('supervisor', (state) => (lastToolCall(state) ? 'handoff' : END), ['handoff', END])
  .addConditionalEdges('handoff', (state) => {
    const call = state.messages.findLast((m) => m.tool_calls?.length)?.tool_calls[0].name;
    return call.slice('transfer_to_'.length);
  }, Object.keys(AGENTS));
for (const [name, agent] of Object.entries(AGENTS)) graph = graph.addNode(name, agent).addEdge(name, 'supervisor');
const app = graph.compile({ name: 'travel-supervisor' });

// 5. Run it: only a session id is set as context (no agent.name anywhere).
const sessionId = `sess-${randomUUID().slice(0, 12)}`;
const question = 'Find me a morning flight from Oslo to Bergen and a hotel there.';
const result = await context.with(setSession(context.active(), { sessionId }), () => app.invoke(
  { messages: [new HumanMessage(question)] }, { configurable: { thread_id: sessionId } }));
const answer = result.messages.at(-1).content;

const sent = await tracing.finish();
const runIds = sent.runIds;
console.log(`user: ${question}\nsupervisor: ${answer}`);
console.log(`sent ${sent.exported} of ${sent.spans} spans in ${runIds.length} run(s) to ${endpoint}`);
for (const id of runIds) console.log(`  run ${id}  travel-supervisor (LangGraph.js multi-agent + OpenInference)`);
if (runIds.length) console.log(`see them with: tracery show --server ${endpoint} ${runIds[0]}`);
if (opts.json) {
  console.log(JSON.stringify({ endpoint, spans_exported: sent.exported,
    runs: runIds.map((id) => ({ run_id: id, name: 'travel-supervisor',
      expect: { status: 'ok', session_id: sessionId, agents: ['travel-supervisor', 'flight_agent', 'hotel_agent'] } })) }));
}
process.exitCode = sent.failures ? 1 : 0;
