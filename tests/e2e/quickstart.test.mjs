// The README walkthrough, step by step: the quickstart example (real OpenTelemetry JS SDK over
// OTLP/HTTP protobuf) sends one run; `tracery runs` and `tracery show` against the server show it
// as the README says: one partial run, five steps, the failed tool call marked and its retry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, runCli, E2E_DIR } from './harness.mjs';

const QUICKSTART = path.resolve(E2E_DIR, '..', '..', 'examples', 'quickstart', 'send-trace.mjs');
let server;

before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test('README walkthrough: send-trace.mjs, then tracery runs and tracery show', async () => {
  const sent = spawnSync(process.execPath, [QUICKSTART, server.baseUrl], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(sent.status, 0, `send-trace.mjs failed:\n${sent.stdout}\n${sent.stderr}`);

  const runs = runCli(['runs', '--server', server.baseUrl, '--json']);
  assert.equal(runs.status, 0, runs.stderr);
  const list = JSON.parse(runs.stdout);
  assert.equal(list.runs.length, 1, 'the example is one run (one trace)');
  const run = list.runs[0];
  assert.equal(run.status, 'partial');
  assert.equal(run.agent_id, 'support-bot');
  assert.equal(run.agent_version, '1.4.0');
  assert.equal(run.environment, 'dev');
  assert.equal(run.session_id, 'conv-42');
  assert.equal(run.user_id, 'user-7');
  assert.equal(run.step_count, 5);
  assert.equal(run.llm_count, 2);
  assert.equal(run.tool_count, 2);
  assert.equal(run.retry_count, 1);
  assert.deepEqual(run.tokens.input, 280);
  assert.deepEqual(run.tokens.output, 43);
  assert.equal(run.failure.type, 'tool');
  assert.equal(run.failure.code, 'timeout');
  assert.equal(run.failure.recovered, true);

  const show = runCli(['show', run.run_id, '--server', server.baseUrl]);
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /Status\s+partial/);
  assert.match(show.stdout, /execute_tool lookup_order .*✗ FAILED tool\/timeout/);
  assert.match(show.stdout, /execute_tool lookup_order .*↻ attempt 2/);
});
