/**
 * The ToolForge console: the key gate, the navigation and the five pages (library, forge runs,
 * live, objects, chat), on hash routes so that the server serves one page at `/`.
 */
import "./styles.css";
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, describeError, forgetKey, getJson, onKeyRefused, storeKey, storedKey } from "./api.js";
import { EventFeed } from "./feed.js";
import { HealthMonitor, type HealthState } from "./health.js";
import { FeedContext, HealthContext, href, useFeedState, useHealth, useRoute } from "./hooks.js";
import { ChatPage } from "./pages/chat.js";
import { ForgePage } from "./pages/forge.js";
import { LibraryPage } from "./pages/library.js";
import { LivePage } from "./pages/live.js";
import { ObjectsPage } from "./pages/objects.js";

type Gate = { state: "checking" } | { state: "open" } | { state: "key"; reason: string | null } | { state: "down"; reason: string };

const PAGES = [
  { id: "library", label: "Library" },
  { id: "forge", label: "Forge runs" },
  { id: "live", label: "Live" },
  { id: "objects", label: "Objects" },
  { id: "chat", label: "Chat" },
] as const;

function App() {
  const [gate, setGate] = useState<Gate>({ state: "checking" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    const hadKey = storedKey() !== null;
    setGate({ state: "checking" });
    getJson("/tools").then(
      () => !cancelled && setGate({ state: "open" }),
      (error: unknown) => {
        if (cancelled) return;
        if (error instanceof ApiError && error.refused) {
          forgetKey();
          setGate({ state: "key", reason: hadKey ? `The server refused that key: ${error.message}` : null });
        } else setGate({ state: "down", reason: describeError(error) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  useEffect(
    () =>
      onKeyRefused((error) => {
        forgetKey();
        setGate({ state: "key", reason: `The server refused the key: ${error.message}` });
      }),
    [],
  );

  if (gate.state === "checking") return <p class="boot">Connecting to the server…</p>;
  if (gate.state === "down") {
    return (
      <main class="gate">
        <h1>ToolForge console</h1>
        <p role="alert" class="error-text">
          The server did not answer: {gate.reason}
        </p>
        <button type="button" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </main>
    );
  }
  if (gate.state === "key") {
    return (
      <KeyPrompt
        reason={gate.reason}
        onKey={(key) => {
          storeKey(key);
          setAttempt((n) => n + 1);
        }}
      />
    );
  }
  return <Console onForget={() => (forgetKey(), setAttempt((n) => n + 1))} />;
}

function KeyPrompt({ reason, onKey }: { reason: string | null; onKey: (key: string) => void }) {
  const [key, setKey] = useState("");
  return (
    <main class="gate">
      <h1>ToolForge console</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onKey(key.trim());
        }}
        aria-labelledby="key-heading"
      >
        <h2 id="key-heading">This server needs its API key</h2>
        {reason ? (
          <p role="alert" class="error-text">
            {reason}
          </p>
        ) : null}
        <p>
          Enter the value of <code>TOOLFORGE_API_KEY</code>. It stays in this browser tab only (session storage, gone when the tab closes)
          and is sent in the <code>Authorization</code> header, never in a URL.
        </p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          required
        />
        <button type="submit" class="primary">
          Open the console
        </button>
      </form>
    </main>
  );
}

function Console({ onForget }: { onForget: () => void }) {
  const feed = useMemo(() => new EventFeed().start(), []);
  const health = useMemo(() => new HealthMonitor().start(), []);
  useEffect(
    () => () => {
      feed.stop();
      health.stop();
    },
    [feed, health],
  );
  // A dropped event stream may mean the server went away, a reopened one that it is back: ask /healthz at once.
  useEffect(() => {
    let last = feed.status;
    return feed.subscribe(() => {
      if (feed.status !== last && (feed.status === "retrying" || feed.status === "open"))
        void health.check({ suspect: feed.status === "retrying" });
      last = feed.status;
    });
  }, [feed, health]);
  const route = useRoute();
  const page = PAGES.find((p) => p.id === route[0])?.id ?? "library";
  useEffect(() => {
    document.title = `${PAGES.find((p) => p.id === page)?.label ?? ""} · ToolForge console`;
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [page]);
  return (
    <FeedContext.Provider value={feed}>
      <HealthContext.Provider value={health}>
        <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
          Skip to the page
        </a>
        <header class="top">
          <h1>ToolForge</h1>
          <nav aria-label="Pages">
            <ul>
              {PAGES.map((p) => (
                <li>
                  <a href={href(p.id)} aria-current={p.id === page ? "page" : undefined}>
                    {p.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <ServerStatus />
          {storedKey() !== null ? (
            <button type="button" class="link forget" onClick={onForget}>
              Forget the key
            </button>
          ) : null}
        </header>
        <ServerDown />
        <main id="main" tabIndex={-1} data-page={page}>
          {page === "library" ? <LibraryPage name={route[1]} /> : null}
          {page === "forge" ? <ForgePage runId={route[1]} /> : null}
          {page === "live" ? <LivePage /> : null}
          {page === "objects" ? <ObjectsPage id={route[1]} /> : null}
          {page === "chat" ? <ChatPage /> : null}
        </main>
      </HealthContext.Provider>
    </FeedContext.Provider>
  );
}

const FEED_TEXT: Record<EventFeed["status"], string> = {
  connecting: "connecting…",
  open: "live",
  retrying: "events: reconnecting…",
  refused: "events: key refused",
  stopped: "events: stopped",
};

/** The component names of /healthz's checks as a person reads them. */
const CHECK_NAMES: Record<string, string> = { ollama: "Ollama", models: "models", sandbox: "sandbox", store: "store", server: "server" };

/**
 * One place in the header for the state of the server: "● live" only when the event stream is
 * open AND /healthz says ok; degraded (which checks fail, with their fixes) or not answering otherwise.
 */
function ServerStatus() {
  const feed = useFeedState();
  const health = useHealth().state;
  if (health.status === "down") {
    return (
      <span class="server-status status-down" role="status" data-health="down" data-feed={feed.status}>
        server not answering
      </span>
    );
  }
  if (health.status === "degraded") return <Degraded failing={health.failing} feed={feed.status} />;
  return (
    <span class={`server-status feed-${feed.status}`} role="status" data-health={health.status} data-feed={feed.status}>
      {health.status === "checking" && feed.status === "open" ? "checking…" : FEED_TEXT[feed.status]}
    </span>
  );
}

function Degraded({ failing, feed }: { failing: Extract<HealthState, { status: "degraded" }>["failing"]; feed: EventFeed["status"] }) {
  const names = failing.map(([name]) => CHECK_NAMES[name] ?? name);
  return (
    <details class="server-status status-degraded" data-health="degraded" data-feed={feed}>
      <summary role="status">degraded: {names.join(", ") || "see /healthz"}</summary>
      <ul>
        {failing.map(([name, check]) => (
          <li data-check={name}>
            <strong>{CHECK_NAMES[name] ?? name}</strong>: {check.detail}
            {check.hint ? <div class="hint">Fix: {check.hint}</div> : null}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** Under the header on every page while the server does not answer: what happened and what to do. */
function ServerDown() {
  const health = useHealth().state;
  if (health.status !== "down") return null;
  return (
    <p class="banner" role="alert">
      {health.reason}
    </p>
  );
}

render(<App />, document.getElementById("app")!);
