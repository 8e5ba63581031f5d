// Writes fixtures/*.json: one raw OTLP/JSON case per convention. Times are written as "T+<ms>"
// and resolved relative to "now" by conventions.test.mjs, so fixtures stay time-free.
// Run: node tools/gen-fixtures.mjs   (the JSON files are committed; this is how they were made)
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const K = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };
const ERR = (message) => ({ code: 2, message });
const OK = { code: 1 };

function av(v) {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(av) } };
  return { kvlistValue: { values: Object.entries(v).map(([key, value]) => ({ key, value: av(value) })) } };
}
const kv = (o) => Object.entries(o).map(([key, value]) => ({ key, value: av(value) }));
const tid = (name) => crypto.createHash('sha256').update(name).digest('hex').slice(0, 32);

// A case: spans are [key, parentKey, name, startMs, endMs, attrs, opts]. Ids derive from keys.
function makeCase(name, spanDefs, { resource = {}, scope = 'e2e', batches = null, repeat = null } = {}) {
  const traceId = tid(name);
  const sid = (key) => crypto.createHash('sha256').update(`${name}/${key}`).digest('hex').slice(0, 16);
  const spans = spanDefs.map(([key, parent, spanName, start, end, attributes = {}, o = {}]) => {
    const s = {
      traceId, spanId: sid(key), name: spanName, kind: o.kind ?? K.INTERNAL,
      startTimeUnixNano: `T+${start}`, endTimeUnixNano: `T+${end}`,
      // "@id:<key>" attribute values name another span of the case by key.
      attributes: kv(Object.fromEntries(Object.entries(attributes).map(([k, v]) =>
        [k, typeof v === 'string' && v.startsWith('@id:') ? sid(v.slice(4)) : v]))),
    };
    if (parent) s.parentSpanId = sid(parent);
    if (o.status) s.status = o.status;
    if (o.events) s.events = o.events.map((e) => ({ name: e.name, timeUnixNano: `T+${e.at}`, attributes: kv(e.attrs ?? {}) }));
    if (o.links) s.links = o.links.map((l) => ({ traceId, spanId: sid(l) }));
    return [key, s];
  });
  const byKey = new Map(spans);
  const body = (keys) => ({
    resourceSpans: [{
      resource: { attributes: kv({ 'service.name': 'conventions-e2e', ...resource }) },
      scopeSpans: [{ scope: { name: scope, version: '1.0.0' }, spans: keys.map((k) => byKey.get(k)) }],
    }],
  });
  const groups = batches ?? [spans.map(([k]) => k)];
  const requests = groups.map((keys) => ({ path: '/v1/traces', body: body(keys) }));
  if (repeat) for (const i of repeat) requests.push(requests[i]);
  fs.writeFileSync(path.join(OUT, `${name}.json`), JSON.stringify({ name, trace_id: traceId, requests }, null, 1) + '\n');
}

const exc = (type, message, at) => ({ name: 'exception', at, attrs: { 'exception.type': type, 'exception.message': message } });
const msgs = (...m) => JSON.stringify(m);

// 1. OTel GenAI, current names (v1.37+).
makeCase('genai-current', [
  ['root', null, 'invoke_agent weather-bot', 0, 1000, {
    'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'weather-bot', 'gen_ai.agent.version': '2.1.0',
    'gen_ai.provider.name': 'anthropic', 'gen_ai.conversation.id': 'conv-genai-1',
  }],
  ['llm1', 'root', 'chat claude-sonnet-4', 10, 300, {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4',
    'gen_ai.response.model': 'claude-sonnet-4-20250514', 'gen_ai.usage.input_tokens': 1200,
    'gen_ai.usage.cache_read.input_tokens': 1000, 'gen_ai.usage.cache_creation.input_tokens': 150,
    'gen_ai.usage.output_tokens': 80, 'gen_ai.response.finish_reasons': ['tool_call'],
    'gen_ai.input.messages': msgs({ role: 'user', parts: [{ type: 'text', content: 'Weather in Oslo?' }] }),
  }, { kind: K.CLIENT }],
  ['tool', 'root', 'execute_tool get_weather', 310, 400, {
    'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather', 'gen_ai.tool.call.id': 'toolu_1',
  }],
  ['llm2', 'root', 'chat claude-sonnet-4', 410, 900, {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4',
    'gen_ai.response.model': 'claude-sonnet-4-20250514', 'gen_ai.usage.input_tokens': 1400,
    'gen_ai.usage.cache_read.input_tokens': 1150, 'gen_ai.usage.output_tokens': 60,
    'gen_ai.usage.reasoning.output_tokens': 20, 'gen_ai.response.finish_reasons': ['stop'],
  }, { kind: K.CLIENT }],
], { resource: { 'deployment.environment.name': 'prod' } });

// 2. OTel GenAI, deprecated names (<= v1.36): gen_ai.system, prompt/completion tokens,
// flattened gen_ai.prompt.N / gen_ai.completion.N, message events on the span.
makeCase('genai-deprecated', [
  ['root', null, 'invoke_agent legacy-bot', 0, 500, {
    'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'legacy-bot', 'gen_ai.system': 'openai',
  }],
  ['llm', 'root', 'chat gpt-4', 10, 400, {
    'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4',
    'gen_ai.response.model': 'gpt-4-0613', 'gen_ai.usage.prompt_tokens': 300, 'gen_ai.usage.completion_tokens': 40,
    'gen_ai.prompt.0.role': 'user', 'gen_ai.prompt.0.content': 'Tell me a joke',
    'gen_ai.completion.0.role': 'assistant', 'gen_ai.completion.0.content': 'Why did the span cross the trace?',
    'gen_ai.completion.0.finish_reason': 'stop',
  }, {
    kind: K.CLIENT, events: [
      { name: 'gen_ai.user.message', at: 11, attrs: { 'gen_ai.system': 'openai' } },
      { name: 'gen_ai.choice', at: 399, attrs: { 'gen_ai.system': 'openai' } },
    ],
  }],
]);

// 3. OpenInference (LangChain/LangGraph instrumentation): flattened messages, graph.node.*,
// LangGraph metadata inside the `metadata` JSON string, thread_id as the session.
const lgMeta = (node, step, triggers) => JSON.stringify({
  langgraph_node: node, langgraph_step: step, langgraph_triggers: triggers, thread_id: 'thread-42',
  ls_provider: 'openai', ls_model_name: 'gpt-4o-mini',
});
makeCase('openinference-langgraph', [
  ['graph', null, 'LangGraph', 0, 1000, {
    'openinference.span.kind': 'CHAIN', 'metadata': JSON.stringify({ thread_id: 'thread-42' }),
    'input.value': '{"messages":[["user","hi"]]}', 'input.mime_type': 'application/json',
  }],
  ['agent', 'graph', 'agent', 10, 500, {
    'openinference.span.kind': 'AGENT', 'graph.node.id': 'agent', 'metadata': lgMeta('agent', 1, ['branch:to:agent']),
  }],
  ['llm', 'agent', 'ChatOpenAI', 20, 480, {
    'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o-mini', 'llm.provider': 'openai',
    'llm.token_count.prompt': 90, 'llm.token_count.completion': 25, 'llm.token_count.total': 115,
    'llm.input_messages.0.message.role': 'user', 'llm.input_messages.0.message.content': 'hi',
    'llm.output_messages.0.message.role': 'assistant',
    'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'search',
    'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': '{"q":"hi"}',
    'metadata': lgMeta('agent', 1, ['branch:to:agent']),
  }],
  ['tools', 'graph', 'tools', 510, 700, {
    'openinference.span.kind': 'CHAIN', 'graph.node.id': 'tools', 'graph.node.parent_id': 'agent',
    'metadata': lgMeta('tools', 2, ['branch:to:tools']),
  }],
  ['search', 'tools', 'search', 520, 690, {
    'openinference.span.kind': 'TOOL', 'tool.name': 'search', 'input.value': '{"q":"hi"}',
    'metadata': lgMeta('tools', 2, ['branch:to:tools']),
  }],
]);

// 4. Langfuse SDK attributes.
makeCase('langfuse', [
  ['trace', null, 'qa-pipeline', 0, 800, {
    'langfuse.observation.type': 'agent', 'langfuse.trace.name': 'qa-pipeline', 'langfuse.session.id': 'lf-sess',
    'langfuse.user.id': 'lf-user', 'langfuse.trace.tags': ['qa', 'nightly'], 'langfuse.environment': 'staging',
    'langfuse.release': '3.0.1',
  }],
  ['ret', 'trace', 'vector-search', 10, 100, { 'langfuse.observation.type': 'retriever' }],
  ['gen', 'trace', 'answer', 110, 700, {
    'langfuse.observation.type': 'generation', 'langfuse.observation.model.name': 'gpt-4.1',
    'langfuse.observation.usage_details': JSON.stringify({ input: 500, output: 120, total: 620 }),
    'langfuse.observation.cost_details': JSON.stringify({ total: 0.0042 }),
  }],
  ['guard', 'trace', 'pii-check', 710, 790, { 'langfuse.observation.type': 'guardrail' }],
], { scope: 'langfuse-sdk' });

// 5. Traceloop / OpenLLMetry (Python-style names, old usage attributes).
makeCase('traceloop', [
  ['wf', null, 'ticket_flow.workflow', 0, 900, {
    'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'ticket_flow', 'traceloop.workflow.name': 'ticket_flow',
    'traceloop.association.properties.session_id': 'tl-sess', 'traceloop.association.properties.user_id': 'tl-user',
  }],
  ['agent', 'wf', 'router.agent', 10, 800, {
    'traceloop.span.kind': 'agent', 'traceloop.entity.name': 'router', 'gen_ai.agent.name': 'router',
    'traceloop.workflow.name': 'ticket_flow', 'traceloop.association.properties.session_id': 'tl-sess',
  }],
  ['llm', 'agent', 'openai.chat', 20, 400, {
    'llm.request.type': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06', 'gen_ai.usage.prompt_tokens': 210,
    'gen_ai.usage.completion_tokens': 35, 'llm.usage.total_tokens': 245, 'gen_ai.agent.name': 'router',
    'gen_ai.prompt.0.role': 'user', 'gen_ai.prompt.0.content': 'route my ticket',
  }, { kind: K.CLIENT }],
  ['task', 'agent', 'classify.task', 410, 600, { 'traceloop.span.kind': 'task', 'traceloop.entity.name': 'classify', 'gen_ai.agent.name': 'router' }],
  ['tool', 'agent', 'create_ticket.tool', 610, 790, { 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'create_ticket', 'gen_ai.agent.name': 'router' }],
], { scope: 'opentelemetry.instrumentation.openai' });

// 6. Vercel AI SDK legacy (<= v6) telemetry: the outer span aggregates usage (must not count).
makeCase('vercel-ai-legacy', [
  ['outer', null, 'ai.generateText', 0, 1000, {
    'operation.name': 'ai.generateText my-fn', 'ai.operationId': 'ai.generateText', 'ai.telemetry.functionId': 'my-fn',
    'ai.model.id': 'gpt-4o', 'ai.model.provider': 'openai.chat', 'ai.usage.promptTokens': 300,
    'ai.usage.completionTokens': 50, 'ai.telemetry.metadata.sessionId': 'vercel-sess', 'ai.telemetry.metadata.userId': 'vercel-user',
  }],
  ['gen1', 'outer', 'ai.generateText.doGenerate', 10, 400, {
    'operation.name': 'ai.generateText.doGenerate my-fn', 'ai.operationId': 'ai.generateText.doGenerate',
    'ai.model.id': 'gpt-4o', 'ai.model.provider': 'openai.chat', 'gen_ai.system': 'openai.chat',
    'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'ai.usage.promptTokens': 100, 'ai.usage.completionTokens': 20,
    'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20, 'ai.response.finishReason': 'tool-calls',
  }, { kind: K.CLIENT }],
  ['tool', 'outer', 'ai.toolCall', 410, 500, {
    'operation.name': 'ai.toolCall my-fn', 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'weather',
    'ai.toolCall.id': 'call_w', 'ai.toolCall.args': '{"city":"Oslo"}',
  }],
  ['gen2', 'outer', 'ai.generateText.doGenerate', 510, 990, {
    'operation.name': 'ai.generateText.doGenerate my-fn', 'ai.operationId': 'ai.generateText.doGenerate',
    'ai.model.id': 'gpt-4o', 'ai.model.provider': 'openai.chat', 'gen_ai.system': 'openai.chat',
    'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'ai.usage.promptTokens': 200, 'ai.usage.completionTokens': 30,
    'gen_ai.usage.input_tokens': 200, 'gen_ai.usage.output_tokens': 30, 'ai.response.finishReason': 'stop',
  }, { kind: K.CLIENT }],
], { scope: 'ai' });

// 7. OpenAI Agents SDK via OpenInference: agents with graph.node.*, a handoff TOOL span.
makeCase('openai-agents-handoff', [
  ['wf', null, 'Customer service', 0, 1000, { 'openinference.span.kind': 'AGENT', 'graph.node.id': 'Customer service' }],
  ['triage', 'wf', 'Triage Agent', 10, 400, { 'openinference.span.kind': 'AGENT', 'agent.name': 'Triage Agent', 'graph.node.id': 'Triage Agent', 'graph.node.parent_id': 'Customer service' }],
  ['tllm', 'triage', 'response', 20, 300, {
    'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4.1-mini', 'llm.provider': 'openai',
    'llm.token_count.prompt': 400, 'llm.token_count.completion': 15,
  }],
  ['handoff', 'triage', 'handoff to Refund Agent', 310, 320, {
    'openinference.span.kind': 'TOOL', 'tool.name': 'transfer_to_refund_agent', 'input.value': 'Triage Agent', 'output.value': 'Refund Agent',
  }],
  ['refund', 'wf', 'Refund Agent', 410, 990, { 'openinference.span.kind': 'AGENT', 'agent.name': 'Refund Agent', 'graph.node.id': 'Refund Agent', 'graph.node.parent_id': 'Triage Agent' }],
  ['rllm', 'refund', 'response', 420, 700, {
    'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4.1-mini', 'llm.provider': 'openai',
    'llm.token_count.prompt': 500, 'llm.token_count.completion': 60,
  }],
  ['rtool', 'refund', 'issue_refund', 710, 980, { 'openinference.span.kind': 'TOOL', 'tool.name': 'issue_refund' }],
], { scope: 'openinference.instrumentation.openai_agents' });

// 8. AutoGen (autogen-core >= 0.4): GenAI agent spans + runtime messaging spans with links.
makeCase('autogen-messaging', [
  ['team', null, 'invoke_agent group_chat', 0, 1000, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.system': 'autogen', 'gen_ai.agent.name': 'group_chat' }],
  ['pub', 'team', 'autogen publish planner.(default)-T', 10, 20, {
    'messaging.operation': 'publish', 'messaging.destination': 'planner.(default)-T',
  }, { kind: K.PRODUCER }],
  ['planner', 'team', 'invoke_agent planner', 30, 500, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.system': 'autogen', 'gen_ai.agent.name': 'planner', 'gen_ai.agent.id': 'planner/default' }],
  ['proc', 'planner', 'autogen process planner.(default)-A', 31, 40, {
    'messaging.operation': 'process', 'messaging.destination': 'planner.(default)-A',
  }, { kind: K.CONSUMER, links: ['pub'] }],
  ['pllm', 'planner', 'chat gpt-4o', 50, 490, {
    'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai',
    'gen_ai.usage.input_tokens': 150, 'gen_ai.usage.output_tokens': 40,
  }, { kind: K.CLIENT }],
  ['coder', 'team', 'invoke_agent coder', 510, 990, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.system': 'autogen', 'gen_ai.agent.name': 'coder', 'gen_ai.agent.id': 'coder/default' }],
  ['ctool', 'coder', 'execute_tool run_python', 520, 980, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.system': 'autogen', 'gen_ai.tool.name': 'run_python' }],
], { scope: 'autogen-core' });

// 9. CrewAI via OpenLLMetry: agent spans carry aggregate usage; delegation is a tool call.
makeCase('crewai-delegation', [
  ['crew', null, 'crewai.workflow', 0, 2000, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.system': 'crewai', 'traceloop.workflow.name': 'research_crew' }],
  ['task', 'crew', 'write_report.task', 10, 1990, { 'traceloop.span.kind': 'task', 'traceloop.entity.name': 'write_report' }],
  ['mgr', 'task', 'Manager.agent', 20, 1980, {
    'traceloop.span.kind': 'agent', 'gen_ai.agent.name': 'Manager', 'gen_ai.request.model': 'gpt-4o',
    'gen_ai.usage.input_tokens': 900, 'gen_ai.usage.output_tokens': 100,
  }],
  ['mllm', 'mgr', 'chat gpt-4o', 30, 500, {
    'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.system': 'openai',
    'gen_ai.usage.input_tokens': 400, 'gen_ai.usage.output_tokens': 50, 'gen_ai.agent.name': 'Manager',
  }, { kind: K.CLIENT }],
  ['deleg', 'mgr', 'Delegate work to coworker.tool', 510, 1500, {
    'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'Delegate work to coworker', 'gen_ai.agent.name': 'Manager',
    'traceloop.entity.input': JSON.stringify({ task: 'find sources', coworker: 'Researcher' }),
  }],
  ['res', 'deleg', 'Researcher.agent', 520, 1490, { 'traceloop.span.kind': 'agent', 'gen_ai.agent.name': 'Researcher' }],
  ['rllm', 'res', 'chat gpt-4o', 530, 1480, {
    'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.system': 'openai',
    'gen_ai.usage.input_tokens': 500, 'gen_ai.usage.output_tokens': 50, 'gen_ai.agent.name': 'Researcher',
  }, { kind: K.CLIENT }],
], { scope: 'opentelemetry.instrumentation.crewai' });

// 10. pydantic-ai + Logfire: pending spans (zero duration, new id, same name) must be dropped;
// a tool span without gen_ai.operation.name is still a tool (gen_ai.tool.name).
const pending = (parentKey) => ({ 'logfire.span_type': 'pending_span', 'logfire.pending_parent_id': `@id:${parentKey}` });
makeCase('pydantic-ai-logfire', [
  ['run', null, 'invoke_agent support', 0, 800, {
    'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support', 'logfire.msg': 'support run', 'logfire.span_type': 'span',
  }],
  ['run_p', 'run', 'invoke_agent support', 0, 0, { 'gen_ai.agent.name': 'support', ...pending('run') }],
  ['chat', 'run', 'chat gpt-4o', 10, 400, {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai',
    'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 70, 'gen_ai.usage.output_tokens': 12,
    'gen_ai.agent.name': 'support', 'operation.cost': 0.00029, 'logfire.span_type': 'span',
  }, { kind: K.CLIENT }],
  ['chat_p', 'chat', 'chat gpt-4o', 10, 10, { 'gen_ai.request.model': 'gpt-4o', ...pending('run') }],
  ['tool', 'run', 'running tool: lookup', 410, 790, {
    'gen_ai.tool.name': 'lookup', 'gen_ai.tool.call.id': 'call_l', 'logfire.msg': 'running tool: lookup', 'gen_ai.agent.name': 'support',
  }],
  ['tool_p', 'tool', 'running tool: lookup', 410, 410, { 'gen_ai.tool.name': 'lookup', ...pending('run') }],
], { scope: 'pydantic-ai' });

// 11. Multi-agent GenAI: a supervisor invokes two sub-agents; one hands off via transfer_to_*.
makeCase('multi-agent-handoffs', [
  ['sup', null, 'invoke_agent supervisor', 0, 2000, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'supervisor' }],
  ['sllm', 'sup', 'chat gpt-4o', 10, 200, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 10 }, { kind: K.CLIENT }],
  ['res', 'sup', 'invoke_agent researcher', 210, 1000, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'researcher' }],
  ['rllm', 'res', 'chat gpt-4o', 220, 900, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 300, 'gen_ai.usage.output_tokens': 30 }, { kind: K.CLIENT }],
  ['xfer', 'res', 'execute_tool transfer_to_writer', 910, 990, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'transfer_to_writer' }],
  ['wri', 'sup', 'invoke_agent writer', 1010, 1990, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'writer' }],
  ['wllm', 'wri', 'chat gpt-4o', 1020, 1980, { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 400, 'gen_ai.usage.output_tokens': 200 }, { kind: K.CLIENT }],
]);

// 12. Retries: two rate-limited attempts, the third succeeds -> partial, retry_count 2.
const chatAttrs = (extra = {}) => ({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', ...extra });
makeCase('retries', [
  ['root', null, 'invoke_agent summarizer', 0, 3000, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'summarizer' }],
  ['a1', 'root', 'chat gpt-4o', 10, 100, chatAttrs({ 'error.type': 'RateLimitError', 'http.response.status_code': 429 }), { kind: K.CLIENT, status: ERR('Error code: 429 - Rate limit reached'), events: [exc('RateLimitError', 'Rate limit reached for gpt-4o', 99)] }],
  ['a2', 'root', 'chat gpt-4o', 1100, 1200, chatAttrs({ 'error.type': 'RateLimitError', 'http.response.status_code': 429 }), { kind: K.CLIENT, status: ERR('Error code: 429 - Rate limit reached'), events: [exc('RateLimitError', 'Rate limit reached for gpt-4o', 1199)] }],
  ['a3', 'root', 'chat gpt-4o', 2200, 2900, chatAttrs({ 'gen_ai.usage.input_tokens': 800, 'gen_ai.usage.output_tokens': 100 }), { kind: K.CLIENT }],
]);

// 13-19. One case per failure type.
makeCase('failure-tool-timeout', [
  ['root', null, 'invoke_agent booking', 0, 600, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'booking' }, { status: ERR('TimeoutError: book_table timed out after 30s') }],
  ['llm', 'root', 'chat gpt-4o', 10, 200, chatAttrs({ 'gen_ai.usage.input_tokens': 50, 'gen_ai.usage.output_tokens': 5 }), { kind: K.CLIENT }],
  ['tool', 'root', 'execute_tool book_table', 210, 590, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'book_table', 'error.type': 'TimeoutError' }, { status: ERR('book_table timed out after 30s'), events: [exc('TimeoutError', 'book_table timed out after 30s', 589)] }],
]);
makeCase('failure-model-rate-limit', [
  ['root', null, 'invoke_agent mailer', 0, 300, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'mailer' }, { status: ERR('RateLimitError') }],
  ['llm', 'root', 'chat gpt-4o', 10, 290, chatAttrs({ 'error.type': 'RateLimitError', 'http.response.status_code': 429 }), { kind: K.CLIENT, status: ERR('Error code: 429 - Rate limit reached for requests') }],
]);
makeCase('failure-context-length', [
  ['root', null, 'invoke_agent reader', 0, 300, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'reader' }, { status: ERR('BadRequestError') }],
  ['llm', 'root', 'chat gpt-4o', 10, 290, chatAttrs({ 'error.type': 'BadRequestError', 'http.response.status_code': 400 }), {
    kind: K.CLIENT, status: ERR("This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens."),
    events: [exc('BadRequestError', "Error code: 400 - {'error': {'code': 'context_length_exceeded'}}", 289)],
  }],
]);
makeCase('failure-content-filter', [
  ['root', null, 'invoke_agent storyteller', 0, 500, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'storyteller' }],
  ['llm', 'root', 'chat gpt-4o', 10, 300, chatAttrs({
    'gen_ai.response.model': 'gpt-4o-2024-08-06', 'gen_ai.response.finish_reasons': ['content_filter'],
    'gen_ai.usage.input_tokens': 40, 'gen_ai.usage.output_tokens': 0,
  }), { kind: K.CLIENT }],
  ['fallback', 'root', 'execute_tool send_fallback_message', 310, 490, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'send_fallback_message' }],
]);
makeCase('failure-retrieval-no-results', [
  ['root', null, 'invoke_agent librarian', 0, 900, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'librarian' }],
  ['ret', 'root', 'retrieval kb-articles', 10, 100, { 'gen_ai.operation.name': 'retrieval', 'gen_ai.data_source.id': 'kb-articles', 'gen_ai.retrieval.query.text': 'refund policy mars' }, { kind: K.CLIENT, status: ERR('no results for query') }],
  ['llm', 'root', 'chat gpt-4o', 110, 890, chatAttrs({ 'gen_ai.usage.input_tokens': 60, 'gen_ai.usage.output_tokens': 30 }), { kind: K.CLIENT }],
]);
makeCase('failure-guardrail', [
  ['root', null, 'assistant', 0, 600, { 'openinference.span.kind': 'AGENT', 'agent.name': 'assistant' }, { status: ERR('Output blocked by guardrail: PII detected') }],
  ['llm', 'root', 'ChatOpenAI', 10, 400, { 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o', 'llm.provider': 'openai', 'llm.token_count.prompt': 30, 'llm.token_count.completion': 20 }],
  ['guard', 'root', 'pii_guard', 410, 590, { 'openinference.span.kind': 'GUARDRAIL' }, { status: ERR('Output blocked by guardrail: PII detected'), events: [exc('GuardrailTripwireTriggered', 'Output blocked by guardrail: PII detected', 589)] }],
], { scope: 'openinference.instrumentation.openai_agents' });
// The agent itself gives up (explicit SDK-reported failure); its model calls all succeeded.
makeCase('failure-orchestration-max-retries', [
  ['root', null, 'invoke_agent extractor', 0, 3000, {
    'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'extractor', 'error.type': 'MaxRetriesExceeded',
    'tracery.failure.type': 'orchestration', 'tracery.failure.code': 'max_retries_exceeded',
    'tracery.failure.message': 'output failed validation 3 times; giving up',
  }, { status: ERR('output failed validation 3 times; giving up') }],
  ['l1', 'root', 'chat gpt-4o', 10, 900, chatAttrs({ 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 50 }), { kind: K.CLIENT }],
  ['l2', 'root', 'chat gpt-4o', 1000, 1900, chatAttrs({ 'gen_ai.usage.input_tokens': 200, 'gen_ai.usage.output_tokens': 50 }), { kind: K.CLIENT }],
  ['l3', 'root', 'chat gpt-4o', 2000, 2900, chatAttrs({ 'gen_ai.usage.input_tokens': 300, 'gen_ai.usage.output_tokens': 50 }), { kind: K.CLIENT }],
]);

// 20. Late and out-of-order: grandchild first, then child, root last, over three requests.
makeCase('late-out-of-order', [
  ['root', null, 'invoke_agent planner', 0, 1000, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner' }],
  ['step', 'root', 'execute_tool plan_trip', 10, 900, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'plan_trip' }],
  ['llm', 'step', 'chat gpt-4o', 20, 800, chatAttrs({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 10 }), { kind: K.CLIENT }],
  ['llm2', 'root', 'chat gpt-4o', 910, 990, chatAttrs({ 'gen_ai.usage.input_tokens': 20, 'gen_ai.usage.output_tokens': 5 }), { kind: K.CLIENT }],
], { batches: [['llm'], ['llm2', 'step'], ['root']] });

// 21. Duplicates: the whole batch is re-sent (client retry after a lost response).
makeCase('duplicates', [
  ['root', null, 'invoke_agent echo', 0, 300, { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'echo' }],
  ['llm', 'root', 'chat gpt-4o', 10, 290, chatAttrs({ 'gen_ai.usage.input_tokens': 7, 'gen_ai.usage.output_tokens': 3 }), { kind: K.CLIENT }],
], { batches: [['llm'], ['root']], repeat: [0, 1, 0] });

console.log('fixtures written to', OUT);
