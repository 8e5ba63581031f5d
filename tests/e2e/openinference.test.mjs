// OpenInference spans made by @arizeai/openinference-core's real helpers (traceAgent, traceChain,
// traceRetriever, traceLLM, traceTool) with session/user/metadata/tags set on the context.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import {
  traceAgent, traceChain, traceLLM, traceTool, traceRetriever,
  setSession, setUser, setMetadata, setTags,
  getLLMAttributes, getRetrieverAttributes, getToolAttributes,
} from '@arizeai/openinference-core';
import { SemanticConventions } from '@arizeai/openinference-semantic-conventions';
import { startServer, getRunDetail, listRuns, getContent, contentValue, sleep } from './harness.mjs';
import { registerGlobalProvider } from './oi-common.mjs';

let server;
let otel;
before(async () => {
  server = await startServer();
  otel = registerGlobalProvider(server);
});
after(async () => {
  await otel?.provider.shutdown();
  await server?.stop();
});

const INPUT = [{ role: 'user', content: 'What is the capital of Norway?' }];
const OUTPUT = [{ role: 'assistant', content: 'Oslo.' }];

function buildAgent({ failTool }) {
  const plan = traceChain(async (q) => { await sleep(3); return { steps: ['retrieve', 'answer'], q }; },
    { name: 'plan' });
  const retrieve = traceRetriever(async () => {
    await sleep(3);
    return [{ id: 'doc-1', content: 'Oslo is the capital of Norway.', score: 0.92 }];
  }, {
    name: 'retrieve-docs',
    processOutput: (docs) => getRetrieverAttributes({ documents: docs }),
  });
  const llm = traceLLM(async () => { await sleep(3); return 'Oslo.'; }, {
    name: 'ChatOpenAI',
    processInput: () => getLLMAttributes({ provider: 'openai', modelName: 'gpt-4o-mini', inputMessages: INPUT }),
    processOutput: () => getLLMAttributes({
      outputMessages: OUTPUT, tokenCount: { prompt: 50, completion: 20, total: 70 },
    }),
  });
  const lookup = traceTool(async (city) => {
    await sleep(3);
    if (failTool) {
      const e = new Error(`population service timed out for ${city}`);
      e.name = 'TimeoutError';
      throw e;
    }
    return { city, population: 709000 };
  }, {
    name: 'lookup_population',
    attributes: getToolAttributes({ name: 'lookup_population', parameters: { city: 'string' } }),
  });
  return traceAgent(async (q) => {
    const span = trace.getActiveSpan();
    await plan(q);
    await retrieve(q);
    await llm(q);
    await lookup('Oslo');
    return { traceId: span.spanContext().traceId, rootId: span.spanContext().spanId };
  }, { name: 'research-agent', attributes: { [SemanticConventions.AGENT_NAME]: 'research-agent' } });
}

function withContextAttrs(fn) {
  let ctx = context.active();
  ctx = setSession(ctx, { sessionId: 'oi-session-1' });
  ctx = setUser(ctx, { userId: 'user-42' });
  ctx = setMetadata(ctx, { tier: 'gold', experiment: 'e7' });
  ctx = setTags(ctx, ['research', 'beta']);
  return context.with(ctx, fn);
}

test('OpenInference helpers -> agent/chain/retrieval/llm/tool steps with session, user, tags', async () => {
  const ok = await withContextAttrs(() => buildAgent({ failTool: false })('capital of Norway?'));
  await otel.provider.forceFlush();
  otel.exporter.assertAllSucceeded(5);

  const d = await getRunDetail(server, ok.traceId);
  assert.deepEqual(d.steps.map((s) => s.type), ['agent', 'chain', 'retrieval', 'llm', 'tool']);
  assert.deepEqual(d.steps.map((s) => s.name),
    ['research-agent', 'plan', 'retrieve-docs', 'ChatOpenAI', 'lookup_population']);
  assert.equal(d.steps[0].step_id, ok.rootId);
  for (const s of d.steps) assert.equal(s.agent, 'research-agent', `agent of ${s.name}`);
  const run = d.run;
  assert.equal(run.name, 'research-agent');
  assert.equal(run.agent_id, 'research-agent');
  assert.equal(run.session_id, 'oi-session-1');
  assert.equal(run.user_id, 'user-42');
  assert.deepEqual([...run.tags].sort(), ['beta', 'research']);
  assert.equal(run.metadata.tier, 'gold');
  assert.equal(run.metadata.experiment, 'e7');
  assert.equal(run.status, 'ok');
  assert.equal(run.failure, null);
  assert.deepEqual(run.tokens, { input: 50, output: 20, total: 70, cache_read: 0, cache_write: 0, reasoning: 0 });
  assert.deepEqual(run.models, ['gpt-4o-mini']);
  assert.equal(run.llm_count, 1);
  assert.equal(run.tool_count, 1);
  const llm = d.steps[3];
  assert.equal(llm.model, 'gpt-4o-mini');
  assert.equal(llm.provider, 'openai');
  const tool = d.steps[4];
  assert.equal(tool.tool_name, 'lookup_population');

  // Flattened llm.input_messages.* come back as messages.
  const c = await getContent(server, ok.traceId, llm.step_id);
  const input = contentValue(c.input);
  assert.equal(input.length, 1);
  assert.equal(JSON.stringify(input).includes('What is the capital of Norway?'), true);
  const docs = await getContent(server, ok.traceId, d.steps[2].step_id);
  assert.ok(JSON.stringify(docs.documents.value).includes('Oslo is the capital of Norway.'));

  // Filters on the context attributes.
  assert.deepEqual((await listRuns(server, 'session=oi-session-1')).map((r) => r.run_id), [ok.traceId]);
  assert.deepEqual((await listRuns(server, 'user=user-42')).map((r) => r.run_id), [ok.traceId]);
  assert.deepEqual((await listRuns(server, 'tag=beta')).map((r) => r.run_id), [ok.traceId]);
  assert.deepEqual((await listRuns(server, 'tag=nope')), []);
  assert.deepEqual((await listRuns(server, 'model=gpt-4o-mini')).map((r) => r.run_id), [ok.traceId]);
});

test('a tool error propagating through the agent fails the run and blames the tool step', async () => {
  let traceId;
  await assert.rejects(withContextAttrs(() => {
    const agent = buildAgent({ failTool: true });
    return traceAgent(async () => {
      traceId = trace.getActiveSpan().spanContext().traceId;
      return agent('x');
    }, { name: 'outer', attributes: { [SemanticConventions.AGENT_NAME]: 'supervisor' } })();
  }), /timed out/);
  await otel.provider.forceFlush();
  otel.exporter.assertAllSucceeded(11);

  const d = await getRunDetail(server, traceId);
  assert.equal(d.run.status, 'failed');
  const tool = d.steps.find((s) => s.type === 'tool');
  assert.equal(tool.status, 'error');
  assert.ok(d.run.failure, 'failed run has no failure');
  assert.equal(d.run.failure.type, 'tool');
  assert.equal(d.run.failure.code, 'timeout');
  assert.equal(d.run.failure.step_id, tool.step_id, 'the failure must be attributed to the tool, not the agents');
  assert.equal(d.run.failure.recovered, false);
  // Two agents: the outer supervisor and the nested research agent.
  assert.deepEqual(d.agents.map((a) => a.name).sort(), ['research-agent', 'supervisor']);
  assert.equal(d.run.agent_count, 2);
  assert.equal(tool.agent, 'research-agent');
  assert.ok(d.messages.some((m) => m.from_agent === 'supervisor' && m.to_agent === 'research-agent'),
    `nested agent invocation must be a message: ${JSON.stringify(d.messages)}`);
  const failed = await listRuns(server, 'status=failed');
  assert.deepEqual(failed.map((r) => r.run_id), [traceId]);
});
