// `tracery triage run` end to end: a real server seeded over OTLP/HTTP, a fake OpenAI-compatible
// judge on loopback (429 first, then answers), --server and --data-dir modes, annotations in the
// API, idempotent re-runs, dry-run exit codes and the budget abort.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
  startServer, makeTempDir, postOtlpJson, jsonSpan, traceRequest, newTraceId, newSpanId, TRACERY_BIN,
} from './harness.mjs';

const T0_MS = Date.now() - 10 * 60_000;
let server;
let judge;
let judgeUrl;
let judgeRequests = 0;
let dir;
let rubricFile;
const runs = {};  // name -> trace id

// The CLI must not block the event loop: the fake judge lives in this process.
function runCliAsync(args, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(TRACERY_BIN, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('close', (status) => { clearTimeout(t); resolve({ status, stdout, stderr }); });
  });
}

async function seedRun(name, { tool = 'lookup', stepName = 'think' } = {}) {
  const traceId = newTraceId();
  const root = newSpanId();
  const t0Ms = T0_MS + Object.keys(runs).length * 1000;
  const spans = [
    jsonSpan({ traceId, spanId: root, name: 'invoke_agent bot', t0Ms, start: 0, end: 50,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'bot' } }),
    jsonSpan({ traceId, spanId: newSpanId(), parentId: root, name: `chat ${stepName}`, t0Ms, start: 1, end: 10,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' } }),
    jsonSpan({ traceId, spanId: newSpanId(), parentId: root, name: `execute_tool ${tool}`, t0Ms, start: 11, end: 20,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': tool } }),
  ];
  const r = await postOtlpJson(server, traceRequest(spans));
  assert.equal(r.status, 200);
  runs[name] = traceId;
}

before(async () => {
  dir = makeTempDir('tracery-triage-e2e-');
  rubricFile = path.join(dir, 'rubric.yaml');
  fs.writeFileSync(rubricFile, `apiVersion: tracery.dev/v1
kind: Rubric
metadata: {name: e2e, version: 1.0.0}
modes:
  - id: unsafe
    severity: high
    detection: {type: tool_call, tool_calls: [drop_table]}
  - id: judged
    severity: critical
    detection:
      type: llm_judge
      prompt: "Is the run bad?"
      output_schema:
        type: object
        required: [positive]
        properties: {positive: {type: boolean}, confidence: {type: number}, excerpt: {type: string}}
clustering: {strategy: mode-only, min_cluster_size: 2}
`);
  judge = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      judgeRequests += 1;
      if (judgeRequests === 1) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end('{"error":{"message":"rate limited"}}');
        return;
      }
      const j = JSON.parse(body);
      assert.equal(req.url, '/v1/chat/completions');
      assert.equal(j.response_format.type, 'json_schema');
      const prompt = j.messages[1].content;
      const bad = prompt.includes('BAD');
      const content = JSON.stringify({ positive: bad, confidence: bad ? 0.9 : 0.1, excerpt: bad ? 'BAD step' : '' });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }],
        usage: { prompt_tokens: 120, completion_tokens: 12 } }));
    });
  });
  await new Promise((r) => judge.listen(0, '127.0.0.1', r));
  judgeUrl = `http://127.0.0.1:${judge.address().port}`;
  server = await startServer();
  await seedRun('clean1');
  await seedRun('clean2');
  await seedRun('unsafe', { tool: 'drop_table' });
  await seedRun('bad1', { stepName: 'BAD' });
  await seedRun('bad2', { stepName: 'BAD' });
});

after(async () => {
  if (server) await server.stop();
  if (judge) judge.close();
});

const common = () => ['--rubric', rubricFile, '--since', '1h', '--judge-url', judgeUrl, '--judge-model', 'gpt-4o-mini',
  '--queue', path.join(dir, 'queue'), '--no-judge-cache'];

test('triage run --server classifies, annotates and reports', async () => {
  const r = await runCliAsync(['triage', 'run', ...common(), '--server', server.baseUrl, '--json',
    '--report', path.join(dir, 'report')]);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.runs.classified, 5);
  const modes = Object.fromEntries(rep.modes.map((m) => [m.mode, m]));
  assert.equal(modes.unsafe.positive, 1);
  assert.equal(modes.judged.positive, 2);
  assert.equal(modes.judged.error, 0);
  assert.equal(rep.judge.calls, 5);            // one per run (batch 1); the 429 was retried
  assert.equal(judgeRequests, 6);
  assert.equal(rep.judge.input_tokens, 600);
  assert.ok(fs.existsSync(path.join(dir, 'report', 'report.md')));
  assert.equal(rep.clusters.length, 1);        // judged: 2 positives; unsafe: 1 < min size
  assert.ok(fs.readdirSync(path.join(dir, 'queue')).some((f) => f.endsWith('.md')));

  // Annotations in the API and the run-list filter.
  const flagged = await server.get('/api/runs?annotation=judged');
  assert.deepEqual(flagged.body.runs.map((x) => x.run_id).sort(), [runs.bad1, runs.bad2].sort());
  const unsafe = await server.get('/api/runs?annotation=unsafe:positive');
  assert.deepEqual(unsafe.body.runs.map((x) => x.run_id), [runs.unsafe]);
  const negative = await server.get('/api/runs?annotation=unsafe:negative');
  assert.equal(negative.body.runs.length, 4);
  const detail = await server.get(`/api/runs/${runs.unsafe}`);
  const ann = Object.fromEntries(detail.body.annotations.map((a) => [a.mode_id, a]));
  assert.equal(ann.unsafe.verdict, 'positive');
  assert.equal(ann.unsafe.detector, 'tool_call');
  assert.equal(ann.unsafe.rubric_version, '1.0.0');
  assert.equal(ann.judged.verdict, 'negative');
  assert.equal(ann.unsafe.triage_run_id, rep.triage_run_id);
});

test('re-running is idempotent and asks the judge nothing', async () => {
  const before = judgeRequests;
  const r = await runCliAsync(['triage', 'run', ...common(), '--server', server.baseUrl, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.runs.skipped_classified, 5);
  assert.equal(rep.runs.classified, 0);
  assert.equal(judgeRequests, before);
  const detail = await server.get(`/api/runs/${runs.bad1}`);
  assert.equal(detail.body.annotations.length, 2);
});

test('dry run and budget gates: exit 1 iff a real run would abort', async () => {
  const v2 = path.join(dir, 'rubric-v2.yaml');
  fs.writeFileSync(v2, fs.readFileSync(rubricFile, 'utf8').replace('version: 1.0.0', 'version: 2.0.0'));
  const base = ['triage', 'run', '--rubric', v2, '--since', '1h', '--judge-url', judgeUrl, '--server', server.baseUrl,
    '--queue', path.join(dir, 'queue2')];
  const ok = await runCliAsync([...base, '--dry-run', '--max-runs', '5']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /would proceed/);
  const no = await runCliAsync([...base, '--dry-run', '--max-runs', '4']);
  assert.equal(no.status, 1);
  assert.match(no.stdout, /5 runs selected > --max-runs 4/);
  const before = judgeRequests;
  const cost = await runCliAsync([...base, '--max-cost-usd', '0.0001', '--json']);
  assert.equal(cost.status, 1);
  assert.equal(JSON.parse(cost.stdout).aborted, true);
  assert.equal(judgeRequests, before);  // nothing was judged
  const usage = await runCliAsync([...base, '--judge-batch', '99']);
  assert.equal(usage.status, 2);
});

test('--no-judge runs the deterministic modes only, under a distinct rubric version', async () => {
  const before = judgeRequests;
  // No judge configured and no API key: refused, and the error names the way out.
  const env = { OPENAI_API_KEY: '' };
  const base = ['triage', 'run', '--rubric', rubricFile, '--since', '1h', '--server', server.baseUrl,
    '--queue', path.join(dir, 'queue-nj'), '--no-judge-cache'];
  const refused = await runCliAsync(base, env);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /--no-judge/);
  const r = await runCliAsync([...base, '--no-judge', '--json'], env);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /skipping 1 judge mode\(s\): judged/);
  const rep = JSON.parse(r.stdout);
  assert.deepEqual(rep.modes.map((m) => m.mode), ['unsafe']);
  assert.equal(rep.runs.classified, 5);  // not skipped: 1.0.0+no-judge is not 1.0.0
  assert.equal(judgeRequests, before);
  const detail = await server.get(`/api/runs/${runs.unsafe}`);
  const versions = detail.body.annotations.filter((a) => a.mode_id === 'unsafe').map((a) => a.rubric_version).sort();
  assert.deepEqual(versions, ['1.0.0', '1.0.0+no-judge']);
});

test('triage run --data-dir reads the same store', async () => {
  await server.stop();
  const r = await runCliAsync(['triage', 'run', ...common(), '--data-dir', server.dataDir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.equal(rep.runs.listed, 5);
  assert.equal(rep.runs.skipped_classified, 5);  // annotations written through the API
});
