// Traceloop / OpenLLMetry node SDK (@traceloop/node-server-sdk) exporting OTLP/HTTP protobuf to
// the server, offline: prompt sync off, no batching.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as traceloop from '@traceloop/node-server-sdk';
import { trace } from '@opentelemetry/api';
import { startServer, getRunDetail, listRuns, sleep } from './harness.mjs';

let server;
before(async () => {
  server = await startServer();
  traceloop.initialize({
    appName: 'e2e-traceloop',
    baseUrl: server.baseUrl,
    apiKey: 'tl-e2e-key',
    disableBatch: true,
    traceloopSyncEnabled: false,
    silenceInitializationMessage: true,
    instrumentModules: {},  // nothing to patch: we only use the workflow API
  });
});
after(async () => {
  await traceloop.forceFlush().catch(() => {});
  await server?.stop();
});

test('withWorkflow/withAgent/withTask/withTool -> chain/agent/chain/tool with agent and session', async () => {
  const ids = await traceloop.withAssociationProperties({ session_id: 'tl-session-1', user_id: 'tl-user-7' },
    () => traceloop.withWorkflow({ name: 'support-workflow' }, async () => {
      const traceId = trace.getActiveSpan().spanContext().traceId;
      await traceloop.withAgent({ name: 'triage-agent' }, async () => {
        await sleep(3);
        await traceloop.withTask({ name: 'classify-ticket' }, async () => { await sleep(3); return 'billing'; });
        await traceloop.withTool({ name: 'lookup_invoice' }, async (id) => { await sleep(3); return { id, amount: 42 }; }, 'inv-9');
      });
      return { traceId };
    }));
  await traceloop.forceFlush();

  const d = await getRunDetail(server, ids.traceId);
  assert.deepEqual(d.steps.map((s) => s.name),
    ['support-workflow.workflow', 'triage-agent.agent', 'classify-ticket.task', 'lookup_invoice.tool']);
  assert.deepEqual(d.steps.map((s) => s.type), ['chain', 'agent', 'chain', 'tool']);
  // The workflow is not an agent; every step under the agent belongs to it.
  assert.deepEqual(d.steps.map((s) => s.agent), ['', 'triage-agent', 'triage-agent', 'triage-agent']);
  assert.equal(d.steps[3].tool_name, 'lookup_invoice');
  const run = d.run;
  assert.equal(run.name, 'support-workflow');
  assert.equal(run.agent_id, 'triage-agent');
  assert.equal(run.session_id, 'tl-session-1');
  assert.equal(run.user_id, 'tl-user-7');
  assert.equal(run.status, 'ok');
  assert.equal(run.agent_count, 1);
  assert.equal(run.tool_count, 1);
  assert.deepEqual(d.agents.map((a) => a.name), ['triage-agent']);
  assert.deepEqual((await listRuns(server, 'session=tl-session-1')).map((r) => r.run_id), [ids.traceId]);
  assert.deepEqual((await listRuns(server, 'agent=triage-agent')).map((r) => r.run_id), [ids.traceId]);
});
