// Display formatting shared by every view. Pure functions: no DOM, easy to test.

/** 0.42 ms, 12 ms, 1.50 s, 2m 05s, 1h 02m; "—" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const total = Math.floor(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(sec).padStart(2, '0')}s`;
}

/** 950, 1.2k, 34k, 1.5M. */
export function formatTokens(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (a < 1_000_000) return `${Math.round(n / 1000)}k`;
  if (a < 10_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  return `${Math.round(n / 1_000_000)}M`;
}

/** US dollars: $0 exactly for zero, 4 significant digits for tiny amounts, cents above $1. */
export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '—';
  if (usd === 0) return '$0';
  const a = Math.abs(usd);
  if (a < 0.0001) return `$${usd.toExponential(1)}`;
  if (a < 1) return `$${usd.toPrecision(2).replace(/0+$/, '').replace(/\.$/, '')}`;
  if (a < 1000) return `$${usd.toFixed(2)}`;
  return `$${Math.round(usd).toLocaleString('en-US')}`;
}

/** 0.9322 → "93.2%". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  const p = ratio * 100;
  if (p === 100 || p === 0) return `${p}%`;
  return `${p.toFixed(1)}%`;
}

/** Integer with thousands separators. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * A run start time for tables: "14:03:07" when on the same local day as `now`, else
 * "Nov 21 14:03" (same year) or "2025-11-21". Accepts the API's ISO strings.
 */
export function formatTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const hms = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  if (d.toDateString() === now.toDateString()) return hms;
  if (d.getFullYear() === now.getFullYear()) {
    const mon = d.toLocaleString('en-US', { month: 'short' });
    return `${mon} ${d.getDate()} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  }
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** "3s ago", "5m ago", "2h ago", "4d ago". */
export function formatRelative(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '—';
  const s = Math.max(0, Math.round((now.getTime() - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Full ISO timestamp for tooltips, milliseconds precision, local time zone offset shown. */
export function formatTimestampTitle(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.toLocaleString('en-US', { hour12: false })} (${iso})`;
}

/** Shortens an id for display: first 8 characters. */
export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 8) : id;
}
