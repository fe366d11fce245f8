/** Small hooks the pages share: the event feed, data loading, the hash route. */
import { createContext } from "preact";
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "./api.js";
import type { EventFeed } from "./feed.js";
import type { HealthMonitor } from "./health.js";
import type { BusEvent } from "./types.js";

export const FeedContext = createContext<EventFeed | null>(null);

export function useFeed(): EventFeed {
  const feed = useContext(FeedContext);
  if (!feed) throw new Error("useFeed outside the console's FeedContext");
  return feed;
}

export const HealthContext = createContext<HealthMonitor | null>(null);

/** The server's health; re-renders when it changes. */
export function useHealth(): HealthMonitor {
  const health = useContext(HealthContext);
  if (!health) throw new Error("useHealth outside the console's HealthContext");
  const [, setTick] = useState(0);
  useEffect(() => health.subscribe(() => setTick((n) => n + 1)), [health]);
  return health;
}

/** Re-renders on every change of the feed (its events or status). */
export function useFeedState(): EventFeed {
  const feed = useFeed();
  const [, setTick] = useState(0);
  useEffect(() => {
    const unsubscribe = feed.subscribe(() => setTick((n) => n + 1));
    // Whatever changed between the first render and this subscription.
    setTick((n) => n + 1);
    return unsubscribe;
  }, [feed]);
  return feed;
}

/** Calls `handler` with each new event; the latest handler is used without resubscribing. */
export function useBusEvents(handler: (event: BusEvent) => void): void {
  const feed = useFeed();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => feed.onEvent((event) => latest.current(event)), [feed]);
}

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Loads with `load` whenever `key` changes; `reload()` loads again (keeping the data shown meanwhile). */
export function useLoad<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean; forKey: string | null }>({
    data: null,
    error: null,
    loading: key !== null,
    forKey: key,
  });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, ...(s.forKey === key ? {} : { data: null, error: null, forKey: key }) }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, error: null, loading: false, forKey: key });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ ...s, error: describeError(error), loading: false }));
      },
    );
    return () => controller.abort();
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  // What failed while the server was not answering loads again when it answers.
  const health = useContext(HealthContext);
  const failed = useRef(false);
  failed.current = state.error !== null;
  useEffect(() => {
    if (!health) return;
    let seen = health.cameBack;
    return health.subscribe(() => {
      if (health.cameBack !== seen && failed.current) reload();
      seen = health.cameBack;
    });
  }, [health, reload]);
  return { data: state.forKey === key ? state.data : null, error: state.error, loading: state.loading, reload };
}

/** The part of the URL after `#`, split on `/` ("#/forge/abc" → ["forge", "abc"]). */
export function useRoute(): string[] {
  const read = () =>
    location.hash
      .replace(/^#\/?/, "")
      .split("/")
      .filter(Boolean)
      .map((part) => decodeURIComponent(part));
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join("/")}`;
}

/** Below this width a list and its detail are one column, and a chosen item shows its detail alone. */
export const NARROW_QUERY = "(max-width: 900px)";

/** On a narrow screen, a newly chosen item's detail opens at the top of the page. */
export function useDetailAtTop(chosen: string | undefined): void {
  useEffect(() => {
    if (chosen !== undefined && matchMedia(NARROW_QUERY).matches) scrollTo(0, 0);
  }, [chosen]);
}
