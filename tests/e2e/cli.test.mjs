// The CLI end to end: `tracery ingest` into a data dir, then runs/show/stats against the data dir
// and against a running server (--server). Exit codes: 0 ok, 1 failure, 2 usage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, runCli, makeTempDir, E2E_DIR, postOtlpJson } from './harness.mjs';

const T0_MS = Date.now() - 10 * 60_000;
let dataDir;
let otlpFile;
let traceId;
let server;

// Resolves a conventions fixture into a plain OTLP/JSON file.
function writeOtlpFile(fixture, dir) {
  const fx = JSON.parse(fs.readFileSync(path.join(E2E_DIR, 'fixtures', `${fixture}.json`), 'utf8'), (_k, v) =>
    (typeof v === 'string' && v.startsWith('T+')
      ? (BigInt(T0_MS) * 1_000_000n + BigInt(Math.round(Number(v.slice(2)) * 1e6))).toString() : v));
  const file = path.join(dir, `${fixture}.otlp.json`);
  fs.writeFileSync(file, JSON.stringify(fx.requests[0].body));
  return { file, traceId: fx.trace_id, body: fx.requests[0].body };
}

before(async () => {
  const dir = makeTempDir();
  dataDir = path.join(dir, 'data');
  ({ file: otlpFile, traceId } = writeOtlpFile('failure-tool-timeout', dir));
  server = await startServer();
});
after(async () => { await server?.stop(); });

const runJson = (args) => {
  const r = runCli(args);
  assert.equal(r.status, 0, `tracery ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  try {
    return JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(`tracery ${args.join(' ')} printed invalid JSON: ${e.message}\n${r.stdout.slice(0, 500)}`);
  }
};

function checkRunsAndShow(source) {
  const list = runJson(['runs', '--json', ...source]);
  assert.equal(list.runs.length, 1);
  assert.equal(list.runs[0].run_id, traceId);
  assert.equal(list.runs[0].status, 'failed');
  assert.equal(list.runs[0].failure.code, 'timeout');

  const detail = runJson(['show', traceId, '--json', ...source]);
  assert.equal(detail.run.run_id, traceId);
  assert.deepEqual(detail.steps.map((s) => s.name), ['invoke_agent booking', 'chat gpt-4o', 'execute_tool book_table']);
  assert.equal(detail.run.failure.step_id, detail.steps[2].step_id);

  const human = runCli(['show', traceId, '--color', 'never', ...source]);
  assert.equal(human.status, 0, human.stderr);
  const lines = human.stdout.split('\n');
  const toolLine = lines.find((l) => l.includes('execute_tool book_table') && /✗/.test(l));
  assert.ok(toolLine, `show must mark the failed step:\n${human.stdout}`);
  assert.match(toolLine, /FAILED/);
  const chatLine = lines.find((l) => l.includes('chat gpt-4o'));
  assert.ok(chatLine && !/✗/.test(chatLine), `only the failing step is marked:\n${human.stdout}`);
  assert.match(human.stdout, /timeout/);

  const stats = runJson(['stats', '--json', ...source]);
  assert.ok(JSON.stringify(stats).length > 2);
  const statsHuman = runCli(['stats', ...source]);
  assert.equal(statsHuman.status, 0, statsHuman.stderr);
  assert.match(statsHuman.stdout, /FAILED/);
  // Filters pass through: no ok runs.
  assert.equal(runJson(['runs', '--json', '--status', 'ok', ...source]).runs.length, 0);
  assert.equal(runJson(['runs', '--json', '--failure-type', 'tool', ...source]).runs.length, 1);
}

test('tracery ingest a file, then runs/show/stats on the data dir', () => {
  const ing = runCli(['ingest', otlpFile, '--data-dir', dataDir]);
  assert.equal(ing.status, 0, `ingest: ${ing.stderr}`);
  checkRunsAndShow(['--data-dir', dataDir]);
  // Re-ingesting the same file is idempotent.
  assert.equal(runCli(['ingest', otlpFile, '--data-dir', dataDir]).status, 0);
  const detail = runJson(['show', traceId, '--json', '--data-dir', dataDir]);
  assert.equal(detail.steps.length, 3);
});

test('the same commands against a running server (--server)', async () => {
  const ing = runCli(['ingest', otlpFile, '--server', server.baseUrl]);
  assert.equal(ing.status, 0, `ingest --server: ${ing.stderr}`);
  checkRunsAndShow(['--server', server.baseUrl]);
});

test('usage errors exit 2, failures exit 1, errors go to stderr', () => {
  const badFlag = runCli(['runs', '--no-such-flag']);
  assert.equal(badFlag.status, 2);
  assert.match(badFlag.stderr, /no-such-flag/);
  const badCommand = runCli(['frobnicate']);
  assert.equal(badCommand.status, 2);
  const unknownRun = runCli(['show', 'ffffffffffffffffffffffffffffffff', '--data-dir', dataDir]);
  assert.equal(unknownRun.status, 1);
  assert.match(unknownRun.stderr, /ffffffffffffffffffffffffffffffff|not found/);
  assert.equal(unknownRun.stdout, '');
  const missingFile = runCli(['ingest', path.join(dataDir, 'nope.json'), '--data-dir', dataDir]);
  assert.equal(missingFile.status, 1);
  assert.match(missingFile.stderr, /nope\.json/);
  const unreachable = runCli(['runs', '--server', 'http://127.0.0.1:1']);
  assert.equal(unreachable.status, 1);
  assert.ok(unreachable.stderr.length > 0);
});

test('a file ingested by the CLI and the same spans POSTed agree', async () => {
  // Posting the same body to the server gives the same run as the offline ingest.
  const dir = makeTempDir();
  const { body, traceId: tid } = writeOtlpFile('retries', dir);
  const r = await postOtlpJson(server, body);
  assert.equal(r.status, 200);
  const viaServer = runJson(['show', tid, '--json', '--server', server.baseUrl]);
  const offlineDir = path.join(dir, 'data');
  assert.equal(runCli(['ingest', path.join(dir, 'retries.otlp.json'), '--data-dir', offlineDir]).status, 0);
  const viaFile = runJson(['show', tid, '--json', '--data-dir', offlineDir]);
  const KEYS = ['run_id', 'name', 'status', 'failure', 'step_count', 'llm_count', 'tool_count', 'retry_count',
    'error_count', 'agent_count', 'tokens', 'models', 'start_time', 'end_time', 'duration_ms'];
  const strip = (d) => Object.fromEntries(KEYS.map((k) => [k, d.run[k]]));
  assert.deepEqual(strip(viaFile), strip(viaServer));
  assert.equal(viaFile.run.retry_count, 2);
});
