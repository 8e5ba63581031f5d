// Shared pieces of the UI test files: whether the UI can be tested here, waits, and colour maths.
import assert from 'node:assert/strict';
import { uiSkipReason } from './ui-browser.mjs';

// Why this server's UI cannot be tested, or null. A server built without the UI
// (TRACERY_BUILD_UI=OFF, or no npm at build time) serves a fallback page without the app root.
export async function uiUnavailableReason(server) {
  const browserReason = uiSkipReason();
  if (browserReason) return browserReason;
  const res = await fetch(`${server.baseUrl}/`);
  const html = await res.text();
  if (res.status !== 200) return `GET / answered ${res.status}`;
  if (!/<div id="app"/.test(html) || !/\/assets\/[^"']+\.js/.test(html)) {
    return 'the server serves the fallback page (UI not built into this binary)';
  }
  return null;
}

// Polls `fn` until it returns a truthy value (returned) or `ms` pass; then fails with `what`.
export async function until(what, fn, ms = 60_000, every = 250) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  assert.fail(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

// "rgb(1, 2, 3)" / "rgba(...)" -> WCAG relative luminance, 0 (black) .. 1 (white).
export function luminance(css) {
  const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/.exec(css);
  assert.ok(m, `not an rgb() colour: ${css}`);
  const lin = (c) => {
    const s = Number(c) / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(m[1]) + 0.7152 * lin(m[2]) + 0.0722 * lin(m[3]);
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// The page's effective background (first non-transparent of body, html) and body text colour.
export async function pageColours(page) {
  return page.evaluate(() => {
    const transparent = (c) => c === 'transparent' || /rgba\([^)]*,\s*0\)$/.test(c);
    const body = getComputedStyle(document.body);
    const html = getComputedStyle(document.documentElement);
    const bg = !transparent(body.backgroundColor) ? body.backgroundColor
      : !transparent(html.backgroundColor) ? html.backgroundColor : 'rgb(255, 255, 255)';
    return { bg, fg: body.color };
  });
}

// The digits of a formatted number: "100,000 steps" / "100 000" -> "100000".
export function digitsOf(text) {
  return (text ?? '').replace(/[^\d]/g, '');
}
