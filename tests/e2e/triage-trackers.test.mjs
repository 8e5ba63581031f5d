// `tracery triage queue` against loopback fakes of GitHub REST, Jira REST (cloud, v3) and Linear
// GraphQL: posting, dedup by provenance, growth comments, reopen, pagination, errors, --review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { TRACERY_BIN, makeTempDir } from './harness.mjs';

// Async (the fakes live in this process, so the CLI must not block the event loop).
function tracery(args, { env = {}, input = '' } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(TRACERY_BIN, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('error', reject);
    p.on('exit', (status) => resolve({ status, stdout, stderr }));
    p.stdin.end(input);
  });
}

function readBody(req) {
  return new Promise((resolve) => {
    let b = '';
    req.on('data', (d) => { b += d; });
    req.on('end', () => resolve(b));
  });
}

async function startFake(handler) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    const rec = { method: req.method, url: req.url, headers: req.headers, body };
    requests.push(rec);
    const reply = (status, obj, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(obj === undefined ? '' : JSON.stringify(obj));
    };
    try {
      await handler(rec, reply, server);
    } catch (e) {
      reply(500, { message: String(e) });
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, requests, close: () => new Promise((r) => server.close(r)) };
}

function provenance(p) {
  const sorted = Object.fromEntries(Object.keys(p).sort().map((k) => [k, p[k]]));
  return `<!-- tracery:provenance ${JSON.stringify(sorted)} -->`;
}

const LABELS = ['tracery', 'mode:tool_loop', 'rubric:agents@1.0.0'];

function draft(clusterId, members, severity = 'high') {
  const prov = {
    cluster_id: clusterId, member_run_ids: members, member_run_ids_truncated: false, mode_id: 'tool_loop',
    representative_run_id: members[0], rubric_name: 'agents', rubric_version: '1.0.0', triage_run_id: 'tr-e2e',
  };
  return {
    cluster_id: clusterId, mode_id: 'tool_loop', rubric_name: 'agents', rubric_version: '1.0.0',
    triage_run_id: 'tr-e2e', severity, priority: 'P2', representative_run_id: members[0],
    member_run_ids: members, labels: LABELS, title: 'Tool loop: search_orders called 14 times',
    body: `## What happens\n\nThe agent calls search_orders in a loop.\n\n${provenance(prov)}\n`,
  };
}

function queueWith(...drafts) {
  const dir = path.join(makeTempDir('tracery-queue-'), 'queue');
  fs.mkdirSync(dir, { recursive: true });
  for (const d of drafts) {
    fs.writeFileSync(path.join(dir, `${d.cluster_id}.json`), JSON.stringify(d, null, 2));
    fs.writeFileSync(path.join(dir, `${d.cluster_id}.md`), `# ${d.title}\n\n---\n\n${d.body}`);
  }
  return dir;
}

// GitHub: issues listed 1 per page with Link headers; create/comment/patch recorded.
function githubHandler(state) {
  return async (req, reply, server) => {
    if (req.headers.authorization !== 'Bearer gh-good') return reply(401, { message: 'Bad credentials' });
    const u = new URL(req.url, 'http://x');
    if (req.method === 'GET' && u.pathname === '/repos/acme/agent/issues') {
      const want = (u.searchParams.get('labels') ?? '').split(',');
      const matching = state.issues.filter((i) => want.every((w) => i.labels.some((l) => l.name === w)));
      const page = Number(u.searchParams.get('page') ?? 1);
      const headers = {};
      if (page < matching.length) {
        const next = new URL(u.toString());
        next.searchParams.set('page', String(page + 1));
        headers.link = `<http://127.0.0.1:${server.address().port}${next.pathname}${next.search}>; rel="next"`;
      }
      return reply(200, matching.slice(page - 1, page), headers);
    }
    if (req.method === 'POST' && u.pathname === '/repos/acme/agent/issues') {
      const b = JSON.parse(req.body);
      const number = 100 + state.issues.length;
      const issue = {
        number, html_url: `https://github.com/acme/agent/issues/${number}`, title: b.title, body: b.body,
        state: 'open', state_reason: null, labels: b.labels.map((name) => ({ name })),
      };
      state.issues.push(issue);
      return reply(201, issue);
    }
    let m = /^\/repos\/acme\/agent\/issues\/(\d+)\/comments$/.exec(u.pathname);
    if (m && req.method === 'POST') {
      (state.comments[m[1]] ??= []).push(JSON.parse(req.body).body);
      return reply(201, { id: 1 });
    }
    if (m && req.method === 'GET') return reply(200, (state.comments[m[1]] ?? []).map((body) => ({ body })));
    m = /^\/repos\/acme\/agent\/issues\/(\d+)$/.exec(u.pathname);
    if (m && req.method === 'PATCH') {
      const issue = state.issues.find((i) => String(i.number) === m[1]);
      Object.assign(issue, JSON.parse(req.body));
      return reply(200, issue);
    }
    return reply(404, { message: 'Not Found' });
  };
}

test('github: create, then a grown cluster is commented on (once), never duplicated', async () => {
  const state = { issues: [], comments: {} };
  const gh = await startFake(githubHandler(state));
  try {
    const env = { GITHUB_TOKEN: 'gh-good' };
    const base = ['triage', 'queue', 'post', '--tracker', 'github', '--project', 'acme/agent', '--base-url', gh.url];
    const q1 = queueWith(draft('aaaaaaaaaaaa', ['r1', 'r2', 'r3']));
    const r1 = await tracery([...base, '--queue', q1, '--json'], { env });
    assert.equal(r1.status, 0, r1.stderr);
    const a1 = JSON.parse(r1.stdout);
    assert.equal(a1[0].outcome, 'created');
    assert.equal(a1[0].issue_url, 'https://github.com/acme/agent/issues/100');
    assert.deepEqual(state.issues[0].labels.map((l) => l.name), LABELS);
    assert.ok(fs.existsSync(path.join(q1, 'posted', 'aaaaaaaaaaaa.json')), 'posted drafts move to posted/');
    assert.ok(!fs.existsSync(path.join(q1, 'aaaaaaaaaaaa.json')));

    // Pad the listing so pagination is exercised (1 issue per page).
    for (let n = 1; n <= 3; n++) {
      state.issues.unshift({ number: n, html_url: `x/${n}`, title: 'other', body: provenance({ cluster_id: `other${n}`, member_run_ids: [`o${n}`] }),
        state: 'open', state_reason: null, labels: LABELS.map((name) => ({ name })) });
    }
    // The cluster grew (new id, overlapping members): a comment lists only the new runs.
    const q2 = queueWith(draft('bbbbbbbbbbbb', ['r1', 'r2', 'r3', 'r4']));
    const r2 = await tracery([...base, '--queue', q2, '--json'], { env });
    assert.equal(r2.status, 0, r2.stderr);
    assert.equal(JSON.parse(r2.stdout)[0].outcome, 'commented');
    assert.equal(state.comments['100'].length, 1);
    assert.match(state.comments['100'][0], /`r4`/);
    assert.doesNotMatch(state.comments['100'][0], /`r1`/);
    const listCalls = gh.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/repos/acme/agent/issues?')).length;
    assert.ok(listCalls >= 1 + 4, `expected Link pagination, saw ${listCalls} list calls`);

    // Same runs again: skipped, no new comment, no duplicate issue.
    const q3 = queueWith(draft('bbbbbbbbbbbb', ['r1', 'r2', 'r3', 'r4']));
    const r3 = await tracery([...base, '--queue', q3, '--json'], { env });
    assert.equal(JSON.parse(r3.stdout)[0].outcome, 'skipped');
    assert.equal(state.comments['100'].length, 1);
    assert.equal(state.issues.length, 4);

    // Closed as fixed and back: reopened.
    state.issues.find((i) => i.number === 100).state = 'closed';
    state.issues.find((i) => i.number === 100).state_reason = 'completed';
    const q4 = queueWith(draft('cccccccccccc', ['r3', 'r9']));
    const r4 = await tracery([...base, '--queue', q4, '--json'], { env });
    assert.equal(JSON.parse(r4.stdout)[0].outcome, 'reopened', r4.stdout);
    assert.equal(state.issues.find((i) => i.number === 100).state, 'open');

    // Below the threshold: stays queued.
    const q5 = queueWith(draft('dddddddddddd', ['z1'], 'low'));
    const r5 = await tracery([...base, '--queue', q5, '--auto-post-threshold', 'high'], { env });
    assert.equal(r5.status, 0, r5.stderr);
    assert.match(r5.stdout, /needs_create/);
    assert.ok(fs.existsSync(path.join(q5, 'dddddddddddd.json')));

    // Bad token: failed, exit 1, the draft stays.
    const r6 = await tracery([...base, '--queue', q5], { env: { GITHUB_TOKEN: 'wrong' } });
    assert.equal(r6.status, 1);
    assert.match(r6.stdout, /failed/);
    assert.match(r6.stdout, /401/);
    assert.ok(fs.existsSync(path.join(q5, 'dddddddddddd.json')));
  } finally {
    await gh.close();
  }
});

test('missing token and usage errors', async () => {
  const q = queueWith(draft('eeeeeeeeeeee', ['r1']));
  const env = { GITHUB_TOKEN: '', JIRA_TOKEN: '', LINEAR_API_KEY: '' };
  const r = await tracery(['triage', 'queue', 'post', '--tracker', 'github', '--project', 'a/b', '--queue', q], { env });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /GITHUB_TOKEN is not set/);
  const l = await tracery(['triage', 'queue', 'post', '--tracker', 'linear', '--project', 't', '--queue', q], { env });
  assert.equal(l.status, 1);
  assert.match(l.stderr, /LINEAR_API_KEY is not set/);
  assert.equal((await tracery(['triage', 'queue', 'post', '--queue', q])).status, 2);
  assert.equal((await tracery(['triage', 'queue', 'frobnicate'])).status, 2);
  assert.equal((await tracery(['triage', 'queue', 'list', '--bogus'])).status, 2);
  const help = await tracery(['triage', 'queue', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /list/);
});

test('list, show, clear', async () => {
  const q = queueWith(draft('ffffffffffff', ['r1', 'r2']), draft('111111111111', ['s1'], 'critical'));
  const list = await tracery(['triage', 'queue', 'list', '--queue', q, '--json']);
  assert.equal(list.status, 0, list.stderr);
  const items = JSON.parse(list.stdout);
  assert.deepEqual(items.map((i) => i.cluster_id), ['111111111111', 'ffffffffffff']);  // critical first
  const show = await tracery(['triage', 'queue', 'show', 'ffffffffffff', '--queue', q]);
  assert.equal(show.status, 0);
  assert.match(show.stdout, /^# Tool loop/);
  assert.match(show.stdout, /tracery:provenance/);
  assert.equal((await tracery(['triage', 'queue', 'show', 'nope', '--queue', q])).status, 1);
  const clear = await tracery(['triage', 'queue', 'clear', '--queue', q]);
  assert.equal(clear.status, 0);
  assert.match(clear.stdout, /removed 2 drafts/);
  assert.equal(JSON.parse((await tracery(['triage', 'queue', 'list', '--queue', q, '--json'])).stdout).length, 0);
});

test('jira cloud: startAt pagination, ADF, reopen via transitions', async () => {
  const issues = [];
  for (let n = 1; n <= 3; n++) {
    issues.push({ key: `OPS-${n}`, fields: { summary: 's', labels: LABELS, description: null,
      status: { statusCategory: { key: 'new' } }, resolution: null, comment: { comments: [] } } });
  }
  const body = `old ${provenance({ cluster_id: 'x', member_run_ids: ['j1', 'j2'], mode_id: 'tool_loop' })}`;
  issues.push({ key: 'OPS-4', fields: { summary: 's', labels: LABELS,
    description: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: body }] }] },
    status: { statusCategory: { key: 'done' } }, resolution: { name: 'Fixed' }, comment: { comments: [] } } });
  const posted = { transitions: [], comments: [] };
  const jira = await startFake(async (req, reply) => {
    // base64("bot@acme.dev:jt")
    if (req.headers.authorization !== `Basic ${Buffer.from('bot@acme.dev:jt').toString('base64')}`) return reply(401);
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/rest/api/3/search') {
      assert.match(u.searchParams.get('jql'), /project = "OPS" AND labels = "tracery"/);
      const startAt = Number(u.searchParams.get('startAt'));
      return reply(200, { startAt, maxResults: 2, total: issues.length, issues: issues.slice(startAt, startAt + 2) });
    }
    if (u.pathname === '/rest/api/3/issue/OPS-4/transitions' && req.method === 'GET') {
      return reply(200, { transitions: [{ id: '5', name: 'Done', to: { statusCategory: { key: 'done' } } },
        { id: '7', name: 'Reopen', to: { statusCategory: { key: 'new' } } }] });
    }
    if (u.pathname === '/rest/api/3/issue/OPS-4/transitions') {
      posted.transitions.push(JSON.parse(req.body));
      return reply(204);
    }
    if (u.pathname === '/rest/api/3/issue/OPS-4/comment') {
      posted.comments.push(JSON.parse(req.body));
      return reply(201, { id: '1' });
    }
    return reply(404, { errorMessages: ['not found'] });
  });
  try {
    const q = queueWith(draft('222222222222', ['j1', 'j3']));
    const r = await tracery(['triage', 'queue', 'post', '--tracker', 'jira', '--project', 'OPS', '--base-url', jira.url,
      '--queue', q, '--json'], { env: { JIRA_USER: 'bot@acme.dev', JIRA_TOKEN: 'jt' } });
    assert.equal(r.status, 0, r.stderr);
    const a = JSON.parse(r.stdout);
    assert.equal(a[0].outcome, 'reopened', r.stdout);
    assert.equal(a[0].issue_url, `${jira.url}/browse/OPS-4`);
    assert.deepEqual(posted.transitions, [{ transition: { id: '7' } }]);
    assert.equal(posted.comments[0].body.type, 'doc');
    assert.match(JSON.stringify(posted.comments[0].body), /j3/);
    assert.equal(jira.requests.filter((x) => x.url.startsWith('/rest/api/3/search')).length, 2);
  } finally {
    await jira.close();
  }
});

test('linear: rate limit keeps drafts queued; then create with pageInfo pagination', async () => {
  let limited = true;
  const created = [];
  const linear = await startFake(async (req, reply) => {
    if (req.headers.authorization !== 'lin_api_x') {
      return reply(400, { errors: [{ message: 'not authenticated', extensions: { code: 'AUTHENTICATION_ERROR' } }] });
    }
    if (limited) return reply(400, { errors: [{ message: 'Rate limit exceeded', extensions: { code: 'RATELIMITED' } }] });
    const { query, variables } = JSON.parse(req.body);
    if (query.includes('query TraceryIssues')) {
      const after = variables.after;
      const node = (id) => ({ id, url: `https://linear.app/i/${id}`, title: 't', description: 'unrelated',
        state: { type: 'started' }, labels: { nodes: LABELS.map((name) => ({ name })) }, comments: { nodes: [] } });
      if (!after) return reply(200, { data: { issues: { nodes: [node('a')], pageInfo: { hasNextPage: true, endCursor: 'c1' } } } });
      return reply(200, { data: { issues: { nodes: [node('b')], pageInfo: { hasNextPage: false, endCursor: null } } } });
    }
    if (query.includes('query TraceryLabels')) {
      return reply(200, { data: { issueLabels: { nodes: variables.names.map((name, i) => ({ id: `L${i}`, name })) } } });
    }
    if (query.includes('mutation TraceryIssueCreate')) {
      created.push(variables.input);
      return reply(200, { data: { issueCreate: { success: true, issue: { id: 'new', identifier: 'ENG-1', url: 'https://linear.app/i/ENG-1' } } } });
    }
    return reply(400, { errors: [{ message: 'unexpected', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
  });
  try {
    const q = queueWith(draft('333333333333', ['l1', 'l2']));
    const args = ['triage', 'queue', 'post', '--tracker', 'linear', '--project', 'team-1', '--base-url', linear.url, '--queue', q];
    const env = { LINEAR_API_KEY: 'lin_api_x' };
    const r1 = await tracery(args, { env });
    assert.equal(r1.status, 1);
    assert.match(r1.stdout, /rate limited/);
    assert.ok(fs.existsSync(path.join(q, '333333333333.json')));
    limited = false;
    const r2 = await tracery([...args, '--json'], { env });
    assert.equal(r2.status, 0, r2.stderr);
    assert.equal(JSON.parse(r2.stdout)[0].outcome, 'created');
    assert.equal(created.length, 1);
    assert.deepEqual(created[0].labelIds, ['L0', 'L1', 'L2']);
    assert.equal(created[0].teamId, 'team-1');
  } finally {
    await linear.close();
  }
});

test('--review: $EDITOR edits the draft, then accept posts it and reject removes it', async () => {
  const state = { issues: [], comments: {} };
  const gh = await startFake(githubHandler(state));
  try {
    const dir = makeTempDir('tracery-editor-');
    const editor = path.join(dir, 'editor.sh');
    // Rewrites the title line of the Markdown it is given.
    fs.writeFileSync(editor, '#!/bin/sh\nsed -i "1s/.*/# Reviewed: search loop in checkout agent/" "$1"\n');
    fs.chmodSync(editor, 0o755);
    const q = queueWith(draft('444444444444', ['v1'], 'critical'), draft('555555555555', ['w1'], 'low'));
    const r = await tracery(['triage', 'queue', 'post', '--review', '--tracker', 'github', '--project', 'acme/agent',
      '--base-url', gh.url, '--queue', q, '--json'],
    { env: { GITHUB_TOKEN: 'gh-good', EDITOR: editor, VISUAL: '' }, input: 'a\nr\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(state.issues.length, 1);
    assert.equal(state.issues[0].title, 'Reviewed: search loop in checkout agent');
    assert.match(state.issues[0].body, /tracery:provenance/);
    assert.ok(fs.existsSync(path.join(q, 'posted', '444444444444.json')));
    assert.ok(!fs.existsSync(path.join(q, '555555555555.json')), 'rejected drafts are removed');
    assert.ok(!fs.existsSync(path.join(q, 'posted', '555555555555.json')));
  } finally {
    await gh.close();
  }
});
