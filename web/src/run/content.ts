// Content display helpers: pretty JSON and collapsing of long values. Pure.

/** Text for a value: JSON pretty-printed (strings that hold JSON are parsed first). */
export function prettyValue(v: unknown, mime = ''): string {
  if (typeof v === 'string') {
    const t = v.trim();
    if (mime.includes('json') || ((t.startsWith('{') || t.startsWith('[')) && t.length < 5_000_000)) {
      try {
        return JSON.stringify(JSON.parse(t), null, 2);
      } catch {
        return v;
      }
    }
    return v;
  }
  if (v === undefined) return '';
  try {
    return JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    return String(v);
  }
}

export const COLLAPSE_CHARS = 2000;
export const COLLAPSE_LINES = 30;

/** The shown part of a long text and whether it was cut. */
export function clip(text: string, expanded: boolean, maxChars = COLLAPSE_CHARS, maxLines = COLLAPSE_LINES): { text: string; cut: boolean } {
  if (expanded) return { text, cut: false };
  let end = Math.min(text.length, maxChars);
  let lines = 0;
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10 && ++lines >= maxLines) {
      end = i;
      break;
    }
  }
  return end < text.length ? { text: text.slice(0, end), cut: true } : { text, cut: false };
}

/** 512 B, 4.2 KB, 1.3 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
