/**
 * Every request the console makes goes through here: the API key (kept in this tab's
 * sessionStorage only, never in a URL) goes in the Authorization header, and an error answer
 * becomes an ApiError with the server's message and code.
 */

const KEY_ITEM = "toolforge.apiKey";

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_ITEM);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get refused(): boolean {
    return this.status === 401;
  }

  /** The server did not answer (down, restarting, or the network between is gone). */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

type RefusedListener = (error: ApiError) => void;
const refusedListeners = new Set<RefusedListener>();

/** Called whenever the server refuses the key (401), wherever the request came from. */
export function onKeyRefused(listener: RefusedListener): () => void {
  refusedListeners.add(listener);
  return () => refusedListeners.delete(listener);
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const key = storedKey();
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

/** What to say when the server does not answer at all (the browser only says "Failed to fetch"). */
export function serverDownMessage(): string {
  return `The ToolForge server at ${location.origin} is not answering. Start it again (\`toolforge serve\`, or \`npm start\` in the clone); this page picks up again when it answers.`;
}

/**
 * fetch() with the key; throws ApiError for any status that is not 2xx, and ApiError
 * `server_unreachable` (status 0) when the server cannot be reached at all. An abort stays an abort.
 */
export async function request(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: authHeaders(init.headers ?? {}), cache: "no-store" });
  } catch (error) {
    if (init.signal?.aborted || (error instanceof DOMException && error.name === "AbortError")) throw error;
    throw new ApiError(0, "server_unreachable", serverDownMessage());
  }
  if (response.ok) return response;
  throw await errorOf(response);
}

/** The error a stream read failing midway becomes: the server went away, unless the reader was stopped. */
export function streamError(error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted || error instanceof ApiError || (error instanceof DOMException && error.name === "AbortError")) return error;
  return error instanceof TypeError ? new ApiError(0, "server_unreachable", serverDownMessage()) : error;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await request(path, signal ? { signal } : {});
  return (await response.json()) as T;
}

export async function postJson<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await request(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return (await response.json()) as T;
}

export async function errorOf(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: { message?: string; code?: string } };
    if (body.error?.message) message = body.error.message;
    if (body.error?.code) code = body.error.code;
  } catch {
    // Not JSON: keep the status line.
  }
  const error = new ApiError(response.status, code, message);
  if (error.refused) for (const listener of refusedListeners) listener(error);
  return error;
}

/** The message to show for anything thrown by a request. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
