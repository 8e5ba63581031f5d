// Headless Chromium for the UI tests: Debian's `chromium` driven by playwright-core (no browser
// download). One browser per test file, a fresh context + page per test; every console error,
// uncaught page error and failed request of the page fails the test that caused it.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { TRACERY_BIN } from './harness.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run'];

// Why the UI tests cannot run here, or null when they can. The suite skips (with this reason)
// rather than fails when the browser is missing, so the API e2e tests still run on a machine
// without Debian's chromium; `make deps` installs it.
export function uiSkipReason() {
  if (!fs.existsSync(CHROMIUM)) return `chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`;
  return null;
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// Where screenshots go: $TRACERY_SCREENSHOT_DIR, else <dir of the binary under test>/ui-screenshots.
export function screenshotDir() {
  const dir = process.env.TRACERY_SCREENSHOT_DIR
    ? path.resolve(process.env.TRACERY_SCREENSHOT_DIR)
    : path.join(path.dirname(TRACERY_BIN), 'ui-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// Opens a page on `baseUrl` in a fresh browser context. Returns {page, context, errors, close,
// goto, shot}. `close()` fails (assert) if the page logged any console error, threw, or had a
// request to the server fail; pass `allowErrors` (regexps) for errors a test provokes on purpose
// (e.g. the 404 of an unknown run id).
export async function openPage(browser, baseUrl, { colorScheme = 'light', viewport = { width: 1400, height: 900 } } = {}) {
  const context = await browser.newContext({ colorScheme, viewport, baseURL: baseUrl });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()} (${msg.location()?.url ?? ''})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.stack ?? e.message}`));
  page.on('requestfailed', (req) => {
    const f = req.failure()?.errorText ?? '';
    // A page navigating away aborts its open requests (the live stream, pending fetches).
    if (/ERR_ABORTED|NS_BINDING_ABORTED/.test(f)) return;
    errors.push(`request failed: ${req.method()} ${req.url()}: ${f}`);
  });
  const handle = {
    page,
    context,
    errors,
    // Navigates to a hash route (`#/runs?...`) or a path, and waits for the app to settle.
    async goto(route) {
      const url = route.startsWith('#') ? `${baseUrl}/${route}` : new URL(route, baseUrl).toString();
      await page.goto(url, { waitUntil: 'domcontentloaded' });
    },
    // Full-page screenshot to the screenshot dir; returns the path.
    async shot(name, { fullPage = false } = {}) {
      const file = path.join(screenshotDir(), `${name}.png`);
      await page.screenshot({ path: file, fullPage });
      return file;
    },
    async close({ allowErrors = [] } = {}) {
      const unexpected = errors.filter((e) => !allowErrors.some((re) => re.test(e)));
      await context.close();
      assert.deepEqual(unexpected, [], `the page reported errors:\n${unexpected.join('\n')}`);
    },
  };
  return handle;
}

// Runs `fn(handle)` with a fresh page and always closes it (checking console errors), so a test
// body is one call: `await withPage(browser, server.baseUrl, async ({page}) => {...})`.
export async function withPage(browser, baseUrl, fn, opts = {}) {
  const handle = await openPage(browser, baseUrl, opts);
  let failed = null;
  try {
    await fn(handle);
  } catch (e) {
    failed = e;
    // Keep what the page looked like when it failed, next to the other screenshots.
    try { await handle.shot(`FAILED-${(opts.name ?? 'test').replace(/[^\w.-]+/g, '_')}`); } catch { /* page gone */ }
    if (handle.errors.length) e.message += `\npage errors:\n${handle.errors.join('\n')}`;
  }
  try {
    await handle.close({ allowErrors: opts.allowErrors ?? [] });
  } catch (e) {
    if (!failed) failed = e;
  }
  if (failed) throw failed;
}

export const byTestId = (id) => `[data-testid="${id}"]`;
