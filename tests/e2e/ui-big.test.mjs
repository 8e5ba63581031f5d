// A 100,000-step run (sent by the OpenTelemetry SDK, tools/gen-big-run.mjs) opens in the UI:
// the total is shown, the tree is virtualized (few rows in the DOM), scrolling to the end loads
// the last steps, and the page still handles clicks. Times are logged, never asserted.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api } from './harness.mjs';
import { launchBrowser, withPage, byTestId, uiSkipReason } from './ui-browser.mjs';
import { uiUnavailableReason, until, digitsOf } from './ui-common.mjs';
import { sendBigRun } from './tools/gen-big-run.mjs';

const T = byTestId;
const STEPS = Number(process.env.TRACERY_UI_BIG_STEPS ?? 100_000);

describe('web UI on a 100,000-step run', { skip: uiSkipReason() ?? false }, () => {
  let server;
  let browser;
  let big;
  let unavailable = null;

  before(async () => {
    server = await startServer();
    unavailable = await uiUnavailableReason(server);
    if (unavailable) return;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  // Sending and summarizing 100k spans takes minutes on a loaded 2-core machine under ASan: this
  // test has its own time limit rather than the suite's per-test default.
  test('opens: total shown, tree virtualized, scrolling loads the end, clicks still handled', { timeout: 600_000 }, async (t) => {
    if (unavailable) { t.skip(unavailable); return; }
    const tSeed = performance.now();
    big = await sendBigRun(server.baseUrl, { steps: STEPS });
    console.log(`# sent ${big.steps} spans: made in ${big.ms.make.toFixed(0)} ms, exported in ${big.ms.send.toFixed(0)} ms`);
    // A big run's summary is recomputed at a bounded rate; wait until it covers every step.
    await until('the big run summarized', async () => {
      const d = await api(server, `/api/runs/${big.traceId}?limit=1`);
      return d.run.step_count === STEPS && d.run.status !== 'running';
    }, 300_000, 500);
    console.log(`# summarized ${(performance.now() - tSeed).toFixed(0)} ms after the first span was sent`);
    await withPage(browser, server.baseUrl, async ({ page, goto, shot }) => {
      // How the API answered Chromium (which offers gzip, deflate, br): gzip, never brotli, whose
      // top quality (httplib's default) took seconds on this run's outline.
      const encodings = new Map();
      page.on('response', (r) => {
        const u = new URL(r.url());
        if (u.pathname.startsWith('/api/runs/')) encodings.set(u.pathname, r.headers()['content-encoding'] ?? 'identity');
      });
      const t0 = performance.now();
      await goto(`#/runs/${big.traceId}?view=tree`);
      await page.locator(T('run-header')).waitFor({ timeout: 60_000 });
      const total = page.locator(T('step-total'));
      await total.waitFor({ timeout: 60_000 });
      await page.locator(T('tree-row')).first().waitFor({ timeout: 60_000 });
      console.log(`# 100k run: header + first tree rows after ${(performance.now() - t0).toFixed(0)} ms`);
      assert.ok(digitsOf(await total.innerText()).includes(String(STEPS)), `step-total: ${await total.innerText()}`);
      const rows = await page.locator(T('tree-row')).count();
      assert.ok(rows > 0 && rows < 200, `${rows} tree rows in the DOM (virtualization expected)`);
      await shot('run-100k');

      // Scroll the tree's scroller to the end, again and again as the UI loads more of the run,
      // until the last steps are rendered.
      const t1 = performance.now();
      // Expanded, the last row is the last group's last child; collapsed, the last group.
      const lastRow = `${T('tree-row')}[data-step-id="${big.lastStepId}"], ${T('tree-row')}[data-step-id="${big.lastGroupId}"]`;
      const scrollToEnd = () => page.locator(T('tree-row')).first().evaluate((row) => {
        let el = row.parentElement;
        while (el && !(el.scrollHeight > el.clientHeight + 1 && /(auto|scroll)/.test(getComputedStyle(el).overflowY))) {
          el = el.parentElement;
        }
        const target = el ?? document.scrollingElement;
        target.scrollTop = target.scrollHeight;
        return { height: target.scrollHeight, top: target.scrollTop };
      });
      let scrolled = null;
      await until('the last steps rendered after scrolling to the end', async () => {
        if (await page.locator(lastRow).count() > 0) return true;
        scrolled = await scrollToEnd();
        return false;
      }, 60_000, 300);
      assert.ok(scrolled && scrolled.top > 0, `the tree did not scroll: ${JSON.stringify(scrolled)}`);
      console.log(`# 100k run: last rows after scrolling in ${(performance.now() - t1).toFixed(0)} ms`);
      // What the page fetched for the run (logged for the record: duration and bytes per API call).
      const fetched = await page.evaluate(() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/api/runs/'))
        .map((e) => `${new URL(e.name).pathname}${new URL(e.name).search} ${e.duration.toFixed(0)} ms ${e.encodedBodySize} B`));
      for (const f of fetched.slice(0, 12)) console.log(`#   ${f}`);
      assert.equal(encodings.get(`/api/runs/${big.traceId}/outline`), 'gzip', JSON.stringify([...encodings]));
      assert.ok(![...encodings.values()].includes('br'), JSON.stringify([...encodings]));
      const rowsAfter = await page.locator(T('tree-row')).count();
      assert.ok(rowsAfter < 200, `${rowsAfter} tree rows in the DOM after scrolling`);
      assert.equal(await page.locator(`${T('tree-row')}[data-step-id="${big.rootId}"]`).count(), 0,
        'the root row is still in the DOM after scrolling to the end');
      await shot('run-100k-end');

      // Responsive: a click on a row is handled (selection and step panel) right after loading.
      const row = page.locator(lastRow).first();
      const id = await row.getAttribute('data-step-id');
      const t2 = performance.now();
      await row.click();
      await until('row selected', async () => (await row.getAttribute('aria-selected')) === 'true', 20_000, 50);
      await page.locator(T('step-panel')).waitFor();
      console.log(`# 100k run: click handled in ${(performance.now() - t2).toFixed(0)} ms`);
      assert.equal(new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]).get('step'), id);

      // The timeline is windowed too.
      await page.locator(T('tab-timeline')).click();
      await page.locator(T('timeline-bar')).first().waitFor({ timeout: 60_000 });
      const bars = await page.locator(T('timeline-bar')).count();
      assert.ok(bars < 2000, `${bars} timeline bars in the DOM`);
      await shot('run-100k-timeline');

      // The transcript is one virtualized list over the whole run: few entries in the DOM, and the
      // last step's entry is reachable directly (the URL's step= scrolls to it).
      const domNodes = () => page.evaluate(() => document.getElementsByTagName('*').length);
      await page.evaluate((h) => { location.hash = h; }, `#/runs/${big.traceId}?view=transcript`);
      const t3 = performance.now();
      await page.locator(T('transcript-entry')).first().waitFor({ timeout: 60_000 });
      console.log(`# 100k run: first transcript entries after ${(performance.now() - t3).toFixed(0)} ms`);
      const transcript = page.locator(T('transcript'));
      const entryCount = Number(await transcript.getAttribute('data-entry-count'));
      assert.ok(entryCount > STEPS / 2, `the transcript covers ${entryCount} entries of a ${STEPS}-step run`);
      const entries = await page.locator(T('transcript-entry')).count();
      assert.ok(entries > 0 && entries < 300, `${entries} transcript entries in the DOM (virtualization expected)`);
      console.log(`# 100k run: ${entries} transcript entries in the DOM of ${entryCount}; ${await domNodes()} DOM nodes`);
      await shot('run-100k-transcript');

      const t4 = performance.now();
      await page.evaluate((h) => { location.hash = h; }, `#/runs/${big.traceId}?view=transcript&step=${big.lastStepId}`);
      const lastEntry = page.locator(`${T('transcript-entry')}[data-step-id="${big.lastStepId}"]`).first();
      await lastEntry.waitFor({ timeout: 60_000 });
      console.log(`# 100k run: the last step's transcript entry after ${(performance.now() - t4).toFixed(0)} ms`);
      await until('the last entry in the visible part of the transcript', async () => {
        const [e, tb] = [await lastEntry.boundingBox(), await transcript.boundingBox()];
        return e && tb && e.y >= tb.y - 1 && e.y < tb.y + tb.height;
      }, 20_000, 100);
      await page.locator(`${T('transcript-entry')}[data-step-id="${big.lastStepId}"] ${T('step-content')}`).first().waitFor({ state: 'attached', timeout: 60_000 });
      console.log(`# 100k run: its content after ${(performance.now() - t4).toFixed(0)} ms`);
      const entriesEnd = await page.locator(T('transcript-entry')).count();
      assert.ok(entriesEnd < 300, `${entriesEnd} transcript entries in the DOM at the end`);
      const firstIndex = await page.locator(T('transcript-entry')).first().evaluate((e) => Number(e.parentElement.dataset.index));
      assert.ok(firstIndex > entryCount - 300, `entry #${firstIndex} of ${entryCount} still in the DOM at the end of the run`);
      console.log(`# 100k run: ${entriesEnd} transcript entries, ${await domNodes()} DOM nodes at the end`);
      await shot('run-100k-transcript-end');
    });
  });
});
