// Test harness: starts a real `tracery serve` process per test file on a fresh temp data dir,
// parses its ports from the startup line, and offers small HTTP/JSON helpers, an OTLP/JSON
// fixture builder and golden-file comparison. No fakes: everything talks to the real binary.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const TRACERY_BIN = path.resolve(
  E2E_DIR, process.env.TRACERY_BIN ?? path.join('..', '..', 'build', 'tracery'));

const READY_RE = /tracery serving http=([^\s]+):(\d+) grpc=([^\s]+):(\d+)/;
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

const liveProcs = new Set();
// A crashed test must not leave servers behind.
process.on('exit', () => {
  for (const p of liveProcs) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

export function makeTempDir(prefix = 'tracery-e2e-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Starts `tracery serve`. Options: dataDir (default: fresh temp dir), args (extra CLI args),
// env (extra environment), headers (sent with every server.get, e.g. an API key). Resolves once the server logged its ports; rejects after 30 s or
// when the process exits first, with the captured stderr in the message.
export async function startServer(opts = {}) {
  assert.ok(fs.existsSync(TRACERY_BIN),
    `tracery binary not found at ${TRACERY_BIN} (build it or set TRACERY_BIN)`);
  const dataDir = opts.dataDir ?? makeTempDir();
  const args = ['serve', '--data-dir', dataDir, '--http', '127.0.0.1:0', '--grpc', '127.0.0.1:0',
    ...(opts.args ?? [])];
  const env = { ...process.env, ...(opts.env ?? {}) };
  const proc = spawn(TRACERY_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  liveProcs.add(proc);
  let stderr = '';
  let stdout = '';
  proc.stdout.on('data', (d) => { stdout += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
    liveProcs.delete(proc);
    resolve({ code, signal });
  }));

  const ports = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`tracery did not log its ports within ${START_TIMEOUT_MS} ms; ` +
        `stderr:\n${stderr}\nstdout:\n${stdout}`));
    }, START_TIMEOUT_MS);
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = READY_RE.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ httpHost: m[1], httpPort: Number(m[2]), grpcHost: m[3], grpcPort: Number(m[4]) });
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`tracery exited (code=${code} signal=${signal}) before serving; ` +
        `stderr:\n${stderr}`));
    });
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
  }).catch((e) => {
    try { proc.kill('SIGKILL'); } catch { /* gone */ }
    throw e;
  });

  const server = {
    proc,
    dataDir,
    ...ports,
    baseUrl: `http://127.0.0.1:${ports.httpPort}`,
    grpcUrl: `http://127.0.0.1:${ports.grpcPort}`,
    stderr: () => stderr,
    exited,
    get running() { return proc.exitCode === null && proc.signalCode === null; },
    // SIGTERM, then SIGKILL after 5 s. Resolves with the exit status.
    async stop() {
      if (!server.running) return exited;
      proc.kill('SIGTERM');
      const t = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } },
        STOP_GRACE_MS);
      const r = await exited;
      clearTimeout(t);
      assertNoSanitizerReport(stderr);
      return r;
    },
    async kill9() {
      proc.kill('SIGKILL');
      return exited;
    },
    // Convenience bound helpers; opts.headers (e.g. an API key) go on every API read.
    get: (p, init = {}) => getJson(server.baseUrl + p,
      { ...init, headers: { ...(opts.headers ?? {}), ...(init.headers ?? {}) } }),
    post: (p, body, headers) => postRaw(server.baseUrl + p, body, headers),
  };
  return server;
}

// A sanitizer build (ASan/UBSan/LSan) reports on stderr; any report fails the test file.
const SANITIZER_RE = /(ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error: |SUMMARY: UndefinedBehaviorSanitizer)/;
export function assertNoSanitizerReport(stderr) {
  const m = SANITIZER_RE.exec(stderr);
  if (m) throw new Error(`sanitizer report from tracery:\n${stderr.slice(Math.max(0, m.index - 200), m.index + 4000)}`);
}

// GET and parse JSON. Returns {status, headers, body (parsed JSON or null), text}. Asserts the
// body is valid JSON whenever the server says it is JSON.
export async function getJson(url, init = {}) {
  const res = await fetch(url, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
  const text = await res.text();
  let body = null;
  if (text.length > 0 && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new Error(`invalid JSON from GET ${url} (status ${res.status}): ${e.message}\n${text.slice(0, 500)}`);
    }
  }
  return { status: res.status, headers: res.headers, body, text };
}

export async function postRaw(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', body, headers });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: buf, text: buf.toString('utf8') };
}

// GET that must succeed with 200 and JSON; returns the parsed body.
export async function api(server, p) {
  const r = await server.get(p);
  assert.equal(r.status, 200, `GET ${p} -> ${r.status}: ${r.text.slice(0, 500)}`);
  assert.ok(r.body !== null, `GET ${p} did not return JSON: ${r.text.slice(0, 200)}`);
  return r.body;
}

// All runs matching a query string (follows next_cursor).
export async function listRuns(server, query = '') {
  const runs = [];
  let cursor = null;
  for (let page = 0; page < 100; page++) {
    const sep = query ? '&' : '';
    const q = query + (cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : '');
    const body = await api(server, `/api/runs${q ? '?' + q : ''}`);
    assert.ok(Array.isArray(body.runs), `/api/runs: runs is not an array: ${JSON.stringify(body)}`);
    runs.push(...body.runs);
    if (!body.next_cursor) return runs;
    cursor = body.next_cursor;
  }
  throw new Error('listRuns: more than 100 pages');
}

// Run detail with every step (pages through offset/limit).
export async function getRunDetail(server, runId) {
  const first = await api(server, `/api/runs/${runId}?offset=0&limit=1000`);
  const steps = [...first.steps];
  while (steps.length < first.total_steps) {
    const next = await api(server, `/api/runs/${runId}?offset=${steps.length}&limit=1000`);
    assert.ok(next.steps.length > 0, `run ${runId}: total_steps=${first.total_steps} but page empty`);
    steps.push(...next.steps);
  }
  return { ...first, steps };
}

export async function getContent(server, runId, stepId) {
  const body = await api(server, `/api/runs/${runId}/steps/${stepId}/content`);
  const byName = {};
  for (const c of body.content) byName[c.name] = c;
  return byName;
}

// Parses a content value that is either already JSON or JSON text.
export function contentValue(field) {
  assert.ok(field, 'content field missing');
  if (typeof field.value === 'string' && field.mime === 'application/json') return JSON.parse(field.value);
  return field.value;
}

// ---------- ids ----------
export function randomHex(bytes) {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Math.floor(Math.random() * 256).toString(16).padStart(2, '0');
  return s;
}
export const newTraceId = () => randomHex(16);
export const newSpanId = () => randomHex(8);

// ---------- OTLP/JSON builder ----------
// Converts a JS value into an OTLP AnyValue. Integers become intValue (as decimal strings, as
// the spec requires); use {double: x} to force a double, {bytes: buf} for bytesValue.
export function anyValue(v) {
  if (v === null || v === undefined) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  if (typeof v === 'object' && 'double' in v) return { doubleValue: v.double };
  if (typeof v === 'object' && 'bytes' in v) return { bytesValue: Buffer.from(v.bytes).toString('base64') };
  return { kvlistValue: { values: Object.entries(v).map(([key, value]) => ({ key, value: anyValue(value) })) } };
}
export function attrs(obj) {
  return Object.entries(obj ?? {}).map(([key, value]) => ({ key, value: anyValue(value) }));
}

export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };

const msToNs = (ms) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

// Builds one OTLP/JSON span. t0Ms is the run's base time (epoch ms); start/end are offsets in ms.
export function jsonSpan({ traceId, spanId, parentId = '', name, kind = SpanKind.INTERNAL, t0Ms,
  start = 0, end = 1, attributes = {}, status = null, events = [], links = [] }) {
  const s = {
    traceId, spanId, name, kind,
    startTimeUnixNano: msToNs(t0Ms + start),
    endTimeUnixNano: msToNs(t0Ms + end),
    attributes: attrs(attributes),
  };
  if (parentId) s.parentSpanId = parentId;
  if (status) s.status = status;  // {code: 2, message}
  if (events.length) {
    s.events = events.map((e) => ({
      name: e.name, timeUnixNano: msToNs(t0Ms + (e.at ?? start)), attributes: attrs(e.attributes),
    }));
  }
  if (links.length) s.links = links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: attrs(l.attributes) }));
  return s;
}

// Wraps spans into an ExportTraceServiceRequest.
export function traceRequest(spans, { resource = {}, scope = { name: 'e2e' } } = {}) {
  return {
    resourceSpans: [{
      resource: { attributes: attrs({ 'service.name': 'e2e-service', ...resource }) },
      scopeSpans: [{ scope: { name: scope.name, version: scope.version ?? '1.0.0' }, spans }],
    }],
  };
}

export async function postOtlpJson(server, body, { pathName = '/v1/traces', headers = {} } = {}) {
  return server.post(pathName, typeof body === 'string' ? body : JSON.stringify(body),
    { 'content-type': 'application/json', ...headers });
}

// ---------- golden files ----------
export function goldenPath(name) {
  return path.join(E2E_DIR, 'goldens', `${name}.json`);
}

// Object keys sorted recursively (array order kept), so golden diffs show only real changes.
export function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

// Compares `actual` with goldens/<name>.json; UPDATE_GOLDENS=1 rewrites the file instead.
export function checkGolden(name, actual) {
  const file = goldenPath(name);
  const text = JSON.stringify(sortKeys(actual), null, 2) + '\n';
  if (process.env.GOLDENS_ACTUAL_DIR) {  // keep what the server said, for diffing by hand
    fs.mkdirSync(process.env.GOLDENS_ACTUAL_DIR, { recursive: true });
    fs.writeFileSync(path.join(process.env.GOLDENS_ACTUAL_DIR, `${name}.json`), text);
  }
  if (process.env.UPDATE_GOLDENS === '1') {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return;
  }
  assert.ok(fs.existsSync(file), `golden ${file} missing (run with UPDATE_GOLDENS=1 and review it)`);
  const expected = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepStrictEqual(actual, expected, `golden mismatch for ${name}`);
}

// Runs the tracery CLI synchronously. Returns {status, stdout, stderr}.
export function runCli(args, { env = {}, input } = {}) {
  const r = spawnSync(TRACERY_BIN, args, {
    env: { ...process.env, ...env }, input, encoding: 'utf8', timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
