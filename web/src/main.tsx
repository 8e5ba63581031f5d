// App shell: navigation, theme, and the hash router. Views are chosen by the first path segment;
// the run detail view (src/run/, owned separately) is loaded lazily as its own chunk.
import { render } from 'preact';
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { parseHash, type Route } from './url';
import { EmptyState, ErrorState, Loading } from './components';
import { RunsView } from './views/runs';
import { FailuresView } from './views/failures';
import { StatsView } from './views/stats';
import { SessionsView, SessionDetail } from './views/sessions';

type RunDetailProps = { runId: string; query: URLSearchParams; navigate: (hash: string) => void };

// Optional at build time: when src/run/RunDetail.tsx is absent the glob is empty and the shell
// shows a message instead of failing the build.
const runModules = import.meta.glob<{ RunDetail: ComponentType<RunDetailProps> }>('./run/RunDetail.tsx');

export function navigate(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

type Theme = 'light' | 'dark' | 'auto';
const THEME_KEY = 'tracery.theme';

function readTheme(): Theme {
  try {
    const t = localStorage.getItem(THEME_KEY);
    if (t === 'light' || t === 'dark') return t;
  } catch {
    // storage disabled: follow the system
  }
  return 'auto';
}

function applyTheme(t: Theme) {
  const root = document.documentElement;
  if (t === 'auto') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', t);
}

function effectiveTheme(t: Theme): 'light' | 'dark' {
  if (t !== 'auto') return t;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(readTheme);
  useEffect(() => applyTheme(theme), [theme]);
  const shown = effectiveTheme(theme);
  const next = shown === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      class="theme-toggle"
      data-testid="theme-toggle"
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
      onClick={() => {
        applyTheme(next);  // now, not after the next frame
        setTheme(next);
        try {
          localStorage.setItem(THEME_KEY, next);
        } catch {
          // not persisted; still applied
        }
      }}
    >
      {shown === 'dark' ? '☀' : '☾'}
    </button>
  );
}

function LazyRunDetail(props: RunDetailProps) {
  const [mod, setMod] = useState<{ C?: ComponentType<RunDetailProps>; error?: unknown }>({});
  useEffect(() => {
    const loader = runModules['./run/RunDetail.tsx'];
    if (!loader) return;
    loader().then(
      (m) => setMod({ C: m.RunDetail }),
      (error) => setMod({ error }),
    );
  }, []);
  if (!runModules['./run/RunDetail.tsx']) {
    return (
      <EmptyState title="The run detail view is not part of this build.">
        Run <span class="mono">{props.runId}</span> can be read from{' '}
        <a href={`/api/runs/${encodeURIComponent(props.runId)}`}>/api/runs/{props.runId}</a>.
      </EmptyState>
    );
  }
  if (mod.error) return <ErrorState error={mod.error} />;
  if (!mod.C) return <Loading what="run" />;
  const C = mod.C;
  return <C {...props} />;
}

const NAV = [
  { id: 'runs', label: 'Runs', key: 'r' },
  { id: 'failures', label: 'Failures', key: 'f' },
  { id: 'stats', label: 'Stats', key: 's' },
  { id: 'sessions', label: 'Sessions', key: 'e' },
] as const;

function App() {
  const route = useRoute();
  const [section = 'runs', id] = route.path;

  // g then r/f/s/e jumps between sections; / focuses the page's search box.
  useEffect(() => {
    let pendingG = false;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
      if (e.key === '/') {
        const box = document.querySelector('[data-search]') as HTMLInputElement | null;
        if (box) {
          box.focus();
          e.preventDefault();
        }
        return;
      }
      if (pendingG) {
        pendingG = false;
        const item = NAV.find((n) => n.key === e.key);
        if (item) navigate(`#/${item.id}`);
        return;
      }
      if (e.key === 'g') pendingG = true;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  let view;
  if (section === 'runs' && id) {
    view = <LazyRunDetail key={id} runId={id} query={route.query} navigate={navigate} />;
  } else if (section === 'runs') {
    view = <RunsView query={route.query} />;
  } else if (section === 'failures') {
    view = <FailuresView query={route.query} />;
  } else if (section === 'stats') {
    view = <StatsView query={route.query} />;
  } else if (section === 'sessions' && id) {
    view = <SessionDetail sessionId={id} />;
  } else if (section === 'sessions') {
    view = <SessionsView query={route.query} />;
  } else {
    view = (
      <EmptyState title={`There is no page “${section}”.`}>
        The address <span class="mono">{location.hash}</span> does not name a Tracery view. Go to the{' '}
        <a href="#/runs">runs list</a>.
      </EmptyState>
    );
  }

  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById('main')?.focus();
      }}>Skip to content</a>
      <header class="topbar">
        <a class="brand" href="#/runs" aria-label="Tracery home">Tracery</a>
        <nav aria-label="Sections">
          {NAV.map((n) => (
            <a
              href={`#/${n.id}`}
              data-testid={`nav-${n.id}`}
              class={section === n.id ? 'active' : undefined}
              aria-current={section === n.id ? 'page' : undefined}
              title={`${n.label} (g ${n.key})`}
            >
              {n.label}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        <ThemeToggle />
      </header>
      <main id="main" tabIndex={-1}>
        {view}
      </main>
    </>
  );
}

applyTheme(readTheme());
render(<App />, document.getElementById('app')!);
