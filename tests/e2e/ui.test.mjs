// The web UI in headless Chromium against a real `tracery serve` seeded by the OpenTelemetry SDK:
// run list, facets and text search in the URL, the multi-agent run's tree/timeline/graph/
// transcript, tree<->timeline selection, the failing step from the failure summary, live updates,
// dark theme, keyboard, error and empty states, and the failures/stats/sessions views.
// Every test fails on any console error of the page. Screenshots go to $TRACERY_SCREENSHOT_DIR.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, getRunDetail, postRaw } from './harness.mjs';
import { launchBrowser, withPage, byTestId, uiSkipReason, screenshotDir } from './ui-browser.mjs';
import { uiUnavailableReason, until, pageColours, contrast, luminance } from './ui-common.mjs';
import { seedStandardRuns, sendLiveRun } from './ui-seed.mjs';

const T = byTestId;
// 404s the unknown-run test provokes on purpose (Chromium logs failed resource loads).
const NOT_FOUND_LOG = /status of 404|404 \(Not Found\)/;

describe('web UI', { skip: uiSkipReason() ?? false }, () => {
  let server;
  let browser;
  let seed;
  let unavailable = null;

  before(async () => {
    server = await startServer();
    unavailable = await uiUnavailableReason(server);
    if (unavailable) return;
    seed = await seedStandardRuns(server);
    browser = await launchBrowser();
    console.log(`# screenshots: ${screenshotDir()}`);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  // Each test: skip with the reason when the UI is not in this binary, else a fresh page.
  const uiTest = (name, fn, opts = {}) => test(name, async (t) => {
    if (unavailable) { t.skip(unavailable); return; }
    await withPage(browser, server.baseUrl, fn, { name, ...opts });
  });

  const rowIds = (page) => page.locator(T('run-row')).evaluateAll((els) => els.map((e) => e.dataset.runId));
  async function expectRows(page, ids) {
    const want = [...ids].sort();
    await until(`run rows ${want}`, async () => {
      const got = (await rowIds(page)).sort();
      return JSON.stringify(got) === JSON.stringify(want);
    }, 20_000);
  }
  const hashParams = async (page) => new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1] ?? '');

  uiTest('run list: every seeded run is a row, newest first, and the count is right', async ({ page, goto, shot }) => {
    await goto('#/runs');
    await expectRows(page, seed.all.map((r) => r.traceId));
    const ids = await rowIds(page);
    assert.equal(ids[0], seed.multi.traceId, 'newest run first');
    assert.equal(ids.at(-1), seed.partial.traceId, 'oldest run last');
    await assert.doesNotReject(page.locator(T('runs-count')).filter({ hasText: /\b5\b/ }).waitFor());
    // The failed run's row names its failure type and code.
    const failedRow = page.locator(`${T('run-row')}[data-run-id="${seed.failed.traceId}"]`);
    assert.match(await failedRow.innerText(), /tool/);
    assert.match(await failedRow.innerText(), /timeout/);
    // Facet counts come from the server: 3 ok (two support-bot, the multi-agent run).
    const okFacet = page.locator(`${T('facet')}[data-facet="status"][data-value="ok"]`);
    assert.match(await okFacet.innerText(), /\b3\b/);
    await shot('runs');
  });

  uiTest('facet and text filters are in the URL, filter the rows, and survive a reload', async ({ page, goto, shot }) => {
    await goto('#/runs');
    await expectRows(page, seed.all.map((r) => r.traceId));
    const failedFacet = page.locator(`${T('facet')}[data-facet="status"][data-value="failed"]`);
    assert.match(await failedFacet.innerText(), /\b1\b/);
    await failedFacet.click();
    await until('status=failed in the URL', async () => (await hashParams(page)).get('status') === 'failed');
    await expectRows(page, [seed.failed.traceId]);
    await page.reload();
    await expectRows(page, [seed.failed.traceId]);
    assert.equal((await hashParams(page)).get('status'), 'failed');
    await shot('runs-filtered-status');

    // Text search over step names: three support-bot runs call lookup_order.
    await goto('#/runs');
    await expectRows(page, seed.all.map((r) => r.traceId));
    const q = page.locator(T('filter-q'));
    await q.fill('lookup_order');
    await q.press('Enter');
    await until('q in the URL', async () => (await hashParams(page)).get('q') === 'lookup_order');
    const support = [seed.ok.traceId, seed.ok2.traceId, seed.failed.traceId];
    await expectRows(page, support);
    await page.reload();
    await expectRows(page, support);
    assert.equal(await page.locator(T('filter-q')).inputValue(), 'lookup_order');
  });

  uiTest('a filter nothing matches shows an explained empty state', async ({ page, goto }) => {
    await goto('#/runs?q=no-run-has-this-text');
    const empty = page.locator(T('empty-state'));
    await empty.waitFor();
    assert.match(await empty.innerText(), /match|filter/i);
    assert.equal(await page.locator(T('run-row')).count(), 0);
  });

  uiTest('an unknown run id shows the error with its message', async ({ page, goto, shot }) => {
    await goto('#/runs/0123456789abcdef0123456789abcdef');
    const err = page.locator(T('error-state'));
    await err.waitFor();
    assert.match(await err.innerText(), /404|not found|unknown/i);
    await shot('run-unknown');
  }, { allowErrors: [NOT_FOUND_LOG] });

  uiTest('multi-agent run: tree, timeline, graph and transcript each render', async ({ page, goto, shot }) => {
    const d = await getRunDetail(server, seed.multi.traceId);
    const stepIds = new Set(d.steps.map((s) => s.step_id));
    assert.deepEqual(d.agents.map((a) => a.name).sort(), ['flight-specialist', 'hotel-specialist', 'planner']);
    assert.ok(d.messages.length >= 4, `messages: ${JSON.stringify(d.messages)}`);

    await goto(`#/runs/${seed.multi.traceId}`);
    await page.locator(T('run-header')).waitFor();
    assert.match(await page.locator(T('run-status')).innerText(), /ok/i);

    await page.locator(T('tab-tree')).click();
    await page.locator(`${T('tree-row')}[data-step-id="${seed.multi.root}"]`).waitFor();
    const treeIds = await page.locator(T('tree-row')).evaluateAll((els) => els.map((e) => e.dataset.stepId));
    assert.ok(treeIds.length >= Math.min(10, d.total_steps), `only ${treeIds.length} tree rows`);
    for (const id of treeIds) assert.ok(stepIds.has(id), `tree row for unknown step ${id}`);
    assert.equal(treeIds[0], seed.multi.root, 'the root step is the first row');
    await shot('run-tree');

    await page.locator(T('tab-timeline')).click();
    await page.locator(T('timeline-bar')).first().waitFor();
    assert.equal((await hashParams(page)).get('view'), 'timeline');
    const barIds = await page.locator(T('timeline-bar')).evaluateAll((els) => els.map((e) => e.dataset.stepId));
    assert.ok(barIds.length >= Math.min(10, d.total_steps), `only ${barIds.length} timeline bars`);
    for (const id of barIds) assert.ok(stepIds.has(id), `timeline bar for unknown step ${id}`);
    await shot('run-timeline');

    await page.locator(T('tab-graph')).click();
    await page.locator(T('graph-view')).waitFor();
    assert.equal((await hashParams(page)).get('view'), 'graph');
    await page.locator(`${T('graph-node')}[data-agent="hotel-specialist"]`).waitFor();
    const agents = await page.locator(`${T('graph-node')}[data-agent]`).evaluateAll((els) => els.map((e) => e.dataset.agent));
    assert.deepEqual([...new Set(agents)].sort(), ['flight-specialist', 'hotel-specialist', 'planner']);
    const counts = await page.locator(T('graph-edge')).evaluateAll((els) => els.map((e) => Number(e.dataset.count)));
    assert.ok(counts.length >= 2, `graph edges: ${counts}`);
    for (const c of counts) assert.ok(Number.isInteger(c) && c >= 1, `edge count ${c}`);
    // However edges are grouped (per pair or per pair and kind), they add up to every message,
    // and the planner reached flight-specialist twice.
    assert.equal(counts.reduce((a, b) => a + b, 0), d.messages.length, `edge counts ${counts} vs ${d.messages.length} messages`);
    assert.ok(Math.max(...counts) >= 2, `no edge counts the repeated handoff: ${counts}`);
    await shot('run-graph');

    await page.locator(T('tab-transcript')).click();
    await page.locator(T('transcript')).waitFor();
    assert.equal((await hashParams(page)).get('view'), 'transcript');
    const kinds = await page.locator(T('transcript-entry')).evaluateAll((els) => els.map((e) => e.dataset.kind));
    for (const k of ['llm', 'tool', 'handoff']) assert.ok(kinds.includes(k), `no ${k} entry in the transcript: ${kinds}`);
    // The planner's final answer is shown (its content is fetched for the transcript).
    await page.locator(T('transcript')).filter({ hasText: 'Booked SK 834' }).waitFor();
    await shot('run-transcript');

    // The view is in the URL: a reload comes back to the transcript.
    await page.reload();
    await page.locator(T('transcript')).waitFor();
  });

  uiTest('timeline zoom by mouse and keys: drag the axis, Ctrl+wheel, arrows; reset and double-click fit the run', async ({ page, goto, shot }) => {
    await goto(`#/runs/${seed.multi.traceId}?view=timeline`);
    await page.locator(T('timeline-bar')).first().waitFor();
    const axis = page.locator(T('timeline-axis'));
    const range = async () => {
      const [a, b] = await axis.evaluate((el) => [el.dataset.rangeStartUs, el.dataset.rangeEndUs]);
      return { start: Number(a), end: Number(b) };
    };
    const tickText = () => axis.innerText();
    const full = await range();
    assert.equal(full.start, 0);
    assert.ok(full.end > 0, `full range ${JSON.stringify(full)}`);
    const fullTicks = await tickText();
    const box = await axis.boundingBox();
    const y = box.y + box.height / 2;
    const at = (f) => box.x + f * box.width;

    // Drag across 25%..60% of the axis: the view becomes that part of the run.
    await page.mouse.move(at(0.25), y);
    await page.mouse.down();
    await page.mouse.move(at(0.45), y, { steps: 4 });
    await page.locator(T('timeline-selection')).waitFor(); // the band follows the drag
    await page.mouse.move(at(0.6), y, { steps: 4 });
    await page.mouse.up();
    const zoomed = await until('range zoomed by the drag', async () => {
      const r = await range();
      return r.end - r.start < full.end * 0.5 ? r : null;
    }, 10_000, 100);
    const near = (v, want) => Math.abs(v - want) <= full.end * 0.03;
    assert.ok(near(zoomed.start, full.end * 0.25) && near(zoomed.end, full.end * 0.6), `dragged 25%..60% of ${full.end} µs, got ${JSON.stringify(zoomed)}`);
    assert.notEqual(await tickText(), fullTicks, 'the tick labels follow the zoom');
    await shot('run-timeline-zoomed');

    // "reset" fits the whole run again.
    await page.locator(T('timeline-reset')).click();
    await until('reset to the full range', async () => JSON.stringify(await range()) === JSON.stringify(full), 10_000, 100);
    assert.equal(await tickText(), fullTicks);

    // Ctrl + wheel up over the axis zooms in around the pointer (at 20% of the axis).
    await page.mouse.move(at(0.2), y);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -400);
    await page.keyboard.up('Control');
    const wheeled = await until('range zoomed by Ctrl+wheel', async () => {
      const r = await range();
      return r.end - r.start < full.end * 0.9 ? r : null;
    }, 10_000, 100);
    // The time under the pointer stays under it.
    const under = wheeled.start + 0.2 * (wheeled.end - wheeled.start);
    assert.ok(near(under, full.end * 0.2), `Ctrl+wheel at 20%: ${JSON.stringify(wheeled)} of ${full.end}`);

    // With the axis focused, → pans later, + zooms in, 0 fits.
    await axis.focus();
    await page.keyboard.press('ArrowRight');
    const panned = await until('panned right', async () => {
      const r = await range();
      return r.start > wheeled.start ? r : null;
    }, 10_000, 100);
    assert.ok(Math.abs((panned.end - panned.start) - (wheeled.end - wheeled.start)) <= 1, 'panning keeps the span');
    await page.keyboard.press('+');
    await until('zoomed in by +', async () => {
      const r = await range();
      return r.end - r.start < (panned.end - panned.start) * 0.75;
    }, 10_000, 100);
    await page.keyboard.press('0');
    await until('0 fits the run', async () => JSON.stringify(await range()) === JSON.stringify(full), 10_000, 100);

    // A double-click on the axis fits the run too (and is not taken for a drag).
    await page.mouse.move(at(0.1), y);
    await page.mouse.down();
    await page.mouse.move(at(0.3), y, { steps: 4 });
    await page.mouse.up();
    await until('zoomed again', async () => (await range()).end < full.end, 10_000, 100);
    await axis.dblclick();
    await until('double-click fits the run', async () => JSON.stringify(await range()) === JSON.stringify(full), 10_000, 100);

    // Shift + drag over the bars selects a range as well, without selecting a step.
    const body = await page.locator(T('timeline')).boundingBox();
    const by = body.y + Math.min(60, body.height / 2);
    await page.keyboard.down('Shift');
    await page.mouse.move(at(0.5), by);
    await page.mouse.down();
    await page.mouse.move(at(0.9), by, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    const shifted = await until('range zoomed by Shift+drag', async () => {
      const r = await range();
      return r.start > 0 ? r : null;
    }, 10_000, 100);
    assert.ok(near(shifted.start, full.end * 0.5) && near(shifted.end, full.end * 0.9), `Shift+drag 50%..90%: ${JSON.stringify(shifted)}`);
    assert.equal((await hashParams(page)).get('step'), null, 'the drag selected a step');
  });

  uiTest('transcript: a virtualized list; ?step= brings the step\'s entry into view', async ({ page, goto, shot }) => {
    const d = await getRunDetail(server, seed.multi.traceId);
    const llms = d.steps.filter((s) => s.type === 'llm');
    const last = llms.at(-1).step_id;
    await goto(`#/runs/${seed.multi.traceId}?view=transcript&step=${last}`);
    const transcript = page.locator(T('transcript'));
    await transcript.waitFor();
    const entry = page.locator(`${T('transcript-entry')}[data-step-id="${last}"]`).first();
    await entry.waitFor();
    // In view: inside the transcript's scroll box, after its content loaded and heights settled.
    await until('the selected entry inside the visible part of the transcript', async () => {
      const [e, t] = [await entry.boundingBox(), await transcript.boundingBox()];
      return e && t && e.y >= t.y - 1 && e.y < t.y + t.height - 20;
    }, 10_000, 100);
    assert.match(await entry.getAttribute('class'), /selected/);
    const total = Number(await transcript.getAttribute('data-entry-count'));
    const inDom = await page.locator(T('transcript-entry')).count();
    assert.ok(total >= llms.length && inDom <= total, `${inDom} entries in the DOM of ${total}`);
    await shot('run-transcript-step');
  });

  uiTest('selecting a step in the tree selects its timeline bar and opens the step panel', async ({ page, goto, shot }) => {
    const { partial } = seed;
    await goto(`#/runs/${partial.traceId}?view=tree`);
    const row = page.locator(`${T('tree-row')}[data-step-id="${partial.llm1}"]`);
    await row.click();
    await until('tree row selected', async () => (await row.getAttribute('aria-selected')) === 'true', 10_000);
    assert.equal((await hashParams(page)).get('step'), partial.llm1);
    const panel = page.locator(T('step-panel'));
    await panel.waitFor();
    assert.match(await panel.innerText(), /gpt-4o/);
    // The retry of the failed tool is marked as such.
    await page.locator(`${T('tree-row')}[data-step-id="${partial.toolRetry}"] ${T('retry-badge')}`).waitFor();
    await shot('run-step-panel');

    await page.locator(T('tab-timeline')).click();
    const bar = page.locator(`${T('timeline-bar')}[data-step-id="${partial.llm1}"]`);
    await until('timeline bar selected', async () => (await bar.getAttribute('data-selected')) === 'true', 10_000);
    assert.equal(await page.locator(`${T('timeline-bar')}[data-selected="true"]`).count(), 1);

    // And the other way round: a bar picked in the timeline is the selected tree row.
    await page.locator(`${T('timeline-bar')}[data-step-id="${partial.toolRetry}"]`).click();
    await until('step in URL', async () => (await hashParams(page)).get('step') === partial.toolRetry, 10_000);
    await page.locator(T('tab-tree')).click();
    const retryRow = page.locator(`${T('tree-row')}[data-step-id="${partial.toolRetry}"]`);
    await until('retry row selected', async () => (await retryRow.getAttribute('aria-selected')) === 'true', 10_000);
    assert.equal(await page.locator(`${T('tree-row')}[aria-selected="true"]`).count(), 1);
  });

  uiTest('the failure summary links to the failing step, whose failure and content load', async ({ page, goto, shot }) => {
    const { failed } = seed;
    await goto(`#/runs/${failed.traceId}`);
    const summary = page.locator(T('failure-summary'));
    await summary.waitFor();
    assert.match(await summary.innerText(), /timeout/);
    assert.match(await page.locator(T('run-status')).innerText(), /failed/i);
    await summary.locator(T('failure-step-link')).click();
    await until('failing step in the URL', async () => (await hashParams(page)).get('step') === failed.tool, 10_000);
    const f = page.locator(`${T('step-panel')} ${T('step-failure')}`);
    await f.waitFor();
    assert.match(await f.innerText(), /timeout/);
    // Tool arguments are fetched on demand: {"order":1234}.
    await page.locator(T('step-content')).filter({ hasText: '1234' }).waitFor();
    await shot('run-failing-step');
  });

  uiTest('triage findings show on the run and link to the runs with the same finding', async ({ page, goto, shot }) => {
    const failed = seed.failed;
    const body = JSON.stringify({ annotations: [
      { run_id: failed.traceId, rubric_name: 'e2e', rubric_version: '1.0.0', mode_id: 'tool-timeout-unrecovered',
        severity: 'high', verdict: 'positive', confidence: 1, evidence_step_ids: [failed.tool],
        excerpt: 'lookup timed out', detector: 'step' },
      { run_id: failed.traceId, rubric_name: 'e2e', rubric_version: '1.0.0', mode_id: 'quiet-mode',
        severity: 'low', verdict: 'negative', confidence: 1, detector: 'regex' },
    ] });
    const w = await postRaw(`${server.baseUrl}/api/annotations`, body, { 'content-type': 'application/json' });
    assert.equal(w.status, 200, w.text);
    await goto(`#/runs/${failed.traceId}`);
    const chip = page.locator(`${T('annotation')}[data-mode="tool-timeout-unrecovered"]`);
    await chip.waitFor();
    assert.equal(await chip.getAttribute('data-verdict'), 'positive');
    assert.match(await chip.innerText(), /high/);
    // Negatives are the normal case: not shown.
    assert.equal(await page.locator(`${T('annotation')}[data-mode="quiet-mode"]`).count(), 0);
    await shot('run-triage-findings');
    await chip.getByText('evidence →').click();
    await until('evidence step selected', async () => (await hashParams(page)).get('step') === failed.tool, 10_000);
    await chip.getByText('tool-timeout-unrecovered').click();
    await until('runs filtered by the finding', async () => (await hashParams(page)).get('annotation') === 'tool-timeout-unrecovered', 10_000);
    await expectRows(page, [failed.traceId]);
    // The runs table carries the finding as a chip on that run's row only (negatives stay out).
    const rowChip = page.locator(`${T('run-row')}[data-run-id="${failed.traceId}"] ${T('run-finding')}`);
    await rowChip.waitFor();
    assert.equal(await rowChip.getAttribute('data-mode'), 'tool-timeout-unrecovered');
    assert.equal(await rowChip.getAttribute('data-verdict'), 'positive');
    await goto('#/runs');
    await page.locator(`${T('run-row')}[data-run-id="${failed.traceId}"] ${T('run-finding')}`).waitFor();
    assert.equal(await page.locator(T('run-finding')).count(), 1, 'only the annotated run has a finding chip');
    assert.equal(await page.locator(`${T('run-finding')}[data-mode="quiet-mode"]`).count(), 0);
  });

  uiTest('a run sent while the list is open appears without a reload', async ({ page, goto, shot }) => {
    await goto('#/runs');
    await expectRows(page, seed.all.map((r) => r.traceId));
    await page.locator(`${T('live-indicator')}[data-state="live"]`).waitFor();
    await page.evaluate(() => { window.__noReload = true; });
    const live = await sendLiveRun(server);
    await page.locator(`${T('run-row')}[data-run-id="${live.traceId}"]`).waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => window.__noReload), true, 'the page reloaded');
    assert.equal((await rowIds(page))[0], live.traceId, 'the new run is at the top');
    await shot('runs-live');
  });

  uiTest('dark theme: the toggle switches to a dark, readable page, kept across reloads', async ({ page, goto, shot }) => {
    await goto('#/runs');
    await page.locator(T('run-row')).first().waitFor();
    const light = await pageColours(page);
    assert.ok(luminance(light.bg) > 0.5, `light background ${light.bg}`);
    await page.locator(T('theme-toggle')).click();
    await until('dark background', async () => luminance((await pageColours(page)).bg) < 0.1, 5_000, 100);
    const dark = await pageColours(page);
    assert.ok(contrast(dark.fg, dark.bg) >= 4.5, `dark text ${dark.fg} on ${dark.bg}`);
    await shot('runs-dark');
    await page.reload();
    await page.locator(T('run-row')).first().waitFor();
    assert.ok(luminance((await pageColours(page)).bg) < 0.1, 'dark theme not kept');
    await goto(`#/runs/${seed.multi.traceId}?view=graph`);
    await page.locator(T('graph-view')).waitFor();
    await shot('run-graph-dark');
  });

  uiTest('a system dark preference is followed without the toggle', async ({ page, goto }) => {
    await goto('#/runs');
    await page.locator(T('run-row')).first().waitFor();
    const c = await pageColours(page);
    assert.ok(luminance(c.bg) < 0.1, `background ${c.bg} under prefers-color-scheme: dark`);
    assert.ok(contrast(c.fg, c.bg) >= 4.5, `text ${c.fg} on ${c.bg}`);
  }, { colorScheme: 'dark' });

  uiTest('keyboard: Tab reaches the first run row and Enter opens it', async ({ page, goto }) => {
    await goto('#/runs');
    await page.locator(T('run-row')).first().waitFor();
    let runId = null;
    for (let i = 0; i < 80 && !runId; i++) {
      await page.keyboard.press('Tab');
      runId = await page.evaluate(() => document.activeElement?.closest('[data-testid="run-row"]')?.dataset.runId ?? null);
    }
    assert.ok(runId, 'Tab never reached a run row');
    assert.equal(runId, (await rowIds(page))[0], 'the first row is reached first');
    await page.keyboard.press('Enter');
    await until('run detail route', async () => (await page.evaluate(() => location.hash)).startsWith(`#/runs/${runId}`), 10_000);
    await page.locator(T('run-header')).waitFor();
  });

  uiTest('failures view: breakdown by type and the failing steps', async ({ page, goto, shot }) => {
    await goto('#/failures');
    await page.locator(T('failures-view')).waitFor();
    await page.locator(`${T('failure-type-row')}[data-type="tool"]`).waitFor();
    // The steps that fail most load separately from the breakdown.
    await page.locator(T('failing-step-row')).first().waitFor();
    assert.match(await page.locator(T('failures-view')).innerText(), /lookup_order|search_flights/);
    // Tools by their tool name (stats group_by=tool_name), not by span name.
    const toolRow = page.locator(`${T('failing-tool-row')}[data-tool="lookup_order"]`);
    await toolRow.waitFor();
    assert.match(await toolRow.innerText(), /lookup_order/);
    assert.equal(await page.locator(`${T('failing-tool-row')}[data-tool^="execute_tool"]`).count(), 0);
    await page.locator(T('stats-chart')).first().waitFor();
    await shot('failures');
  });

  uiTest('stats view: chart and a comparison of two agent versions', async ({ page, goto, shot }) => {
    await goto('#/stats?agent=support-bot');
    await page.locator(T('stats-view')).waitFor();
    await page.locator(T('stats-chart')).first().waitFor();
    // A chart with a single time bucket gets an x range padded by a bucket either side (6 h
    // buckets over the default 7 days), not uPlot's zero-width axis.
    const charts = await page.locator(T('stats-chart')).evaluateAll((els) => els.map((e) => ({ n: Number(e.dataset.points), r: e.dataset.xRange })));
    for (const c of charts) {
      if (c.n === 1) {
        assert.ok(c.r, `a one-bucket chart without a padded range: ${JSON.stringify(charts)}`);
        const [a, b] = c.r.split(',').map(Number);
        assert.equal(b - a, 2 * 6 * 3600, `padded range ${c.r}`);
      } else {
        assert.equal(c.r, undefined, `a ${c.n}-bucket chart with a fixed range: ${JSON.stringify(charts)}`);
      }
    }
    if (!charts.some((c) => c.n === 1)) console.log(`# no one-bucket chart in this run of the test: ${JSON.stringify(charts)}`);
    const cmp = page.locator(T('compare-versions'));
    await cmp.waitFor();
    const pick = async (sel, version) => {
      const s = cmp.locator(T(sel));
      // The options arrive with the agent's versions; wait for them.
      const o = await until(`${sel} option for ${version}`, async () => {
        const opts = await s.locator('option').evaluateAll((os) => os.map((x) => ({ v: x.value, t: x.textContent })));
        return opts.find((x) => x.v.includes(version) || (x.t ?? '').includes(version));
      }, 20_000);
      await s.selectOption(o.v);
    };
    await pick('compare-a', '2.0.0');
    await pick('compare-b', '2.1.0');
    const table = cmp.locator(T('compare-table'));
    await table.waitFor();
    const text = await table.innerText();
    assert.match(text, /2\.0\.0/);
    assert.match(text, /2\.1\.0/);
    await shot('stats');
  });

  uiTest('sessions view: runs grouped by session', async ({ page, goto, shot }) => {
    const body = await api(server, '/api/sessions');
    const ids = body.sessions.map((s) => s.session_id);
    assert.ok(ids.includes('sess-a') && ids.includes('trip-42'), `sessions: ${ids}`);
    await goto('#/sessions');
    await page.locator(T('sessions-view')).waitFor();
    await page.locator(`${T('session-row')}[data-session-id="sess-a"]`).waitFor();
    const shown = await page.locator(T('session-row')).evaluateAll((els) => els.map((e) => e.dataset.sessionId));
    for (const id of ids) assert.ok(shown.includes(id), `session ${id} not shown: ${shown}`);
    await shot('sessions');
    await page.locator(`${T('session-row')}[data-session-id="sess-a"]`).click();
    await until('session route', async () => (await page.evaluate(() => location.hash)).startsWith('#/sessions/sess-a'), 10_000);
    // The session's two runs are listed.
    await until('session runs', async () => {
      const txt = await page.locator('main').innerText();
      return txt.includes('support-bot');
    }, 10_000);
    await shot('session-detail');
  });
});
