/**
 * A chat with the agent through its OpenAI-compatible route, streamed: the answer appears as it is
 * written, the team's steps above it, and the forge runs started while it answers are shown beside
 * it as timelines that fill in attempt by attempt.
 *
 * Stop (the button, or Escape) aborts the stream, and the server aborts the turn when the
 * connection closes. The thread's id is kept in the tab, so a reload shows the conversation again
 * (its questions and answers, from GET /threads/:id); past conversations are listed from
 * GET /threads. A turn that failed or was stopped keeps the work it did, and can be retried.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { describeError, getJson, request, streamError } from "../api.js";
import { formatTime } from "../format.js";
import { useBusEvents, useHealth, useLoad } from "../hooks.js";
import { readSse } from "../sse.js";
import { ConsentCard, type ConsentRequest } from "../components/consent-card.js";
import { RunPane } from "./forge.js";

type ExchangeStatus = "streaming" | "done" | "stopped" | "failed";

interface Exchange {
  question: string;
  steps: string[];
  answer: string;
  error: string | null;
  status: ExchangeStatus;
  runIds: string[];
  /** What tools asked a person for in this turn (the calls were not made). */
  consent?: ConsentRequest[];
}

interface ThreadSummary {
  id: string;
  title: string;
  turns: number;
  updated_at: string;
}

const THREAD_ITEM = "toolforge.chatThread";

/** The conversations shown in this tab, by thread: they survive a change of page. */
const shown = new Map<string, Exchange[]>();
/** The answer being streamed (it goes on while another page is shown, and Stop still reaches it). */
let streaming: AbortController | null = null;
/** The chat page shown now, told when a conversation changes (a stream started before it was opened included). */
const watchers = new Set<() => void>();

function keep(thread: string, exchanges: Exchange[]): void {
  shown.set(thread, exchanges);
  for (const watcher of watchers) watcher();
}

function currentThread(): string {
  let id = sessionStorage.getItem(THREAD_ITEM);
  if (!id) {
    id = `console-${crypto.randomUUID()}`;
    sessionStorage.setItem(THREAD_ITEM, id);
  }
  return id;
}

/** A conversation the server kept, as exchanges (questions with the answers they got). */
function exchangesOf(messages: { role: "user" | "assistant"; content: string }[]): Exchange[] {
  const out: Exchange[] = [];
  for (const message of messages) {
    if (message.role === "user") out.push({ question: message.content, steps: [], answer: "", error: null, status: "done", runIds: [] });
    else if (out.length > 0) out[out.length - 1]!.answer = message.content;
  }
  return out;
}

export function ChatPage() {
  const [thread, setThread] = useState(currentThread);
  const [exchanges, setExchanges] = useState<Exchange[]>(() => shown.get(thread) ?? []);
  const [restoring, setRestoring] = useState(false);
  const [text, setText] = useState("");
  const input = useRef<HTMLTextAreaElement>(null);
  const health = useHealth();
  const busy = exchanges.some((e) => e.status === "streaming");
  const threads = useLoad("threads", (signal) => getJson<{ threads: ThreadSummary[] }>("/threads?limit=20", signal));

  // The tab's copy is the truth: a stream that goes on while another page is shown still lands in it.
  const change = (next: (list: Exchange[]) => Exchange[]) => keep(thread, next(shown.get(thread) ?? []));
  useEffect(() => {
    const watcher = () => setExchanges(shown.get(thread) ?? []);
    watchers.add(watcher);
    return () => void watchers.delete(watcher);
  }, [thread]);
  const update = (index: number, edit: (e: Exchange) => Exchange) => change((list) => list.map((e, i) => (i === index ? edit(e) : e)));

  // After a reload (or for a past conversation), the server's copy of the thread.
  useEffect(() => {
    if (shown.has(thread)) return;
    const controller = new AbortController();
    setRestoring(true);
    getJson<{ messages: { role: "user" | "assistant"; content: string }[] }>(`/threads/${encodeURIComponent(thread)}`, controller.signal)
      .then((kept) => keep(thread, exchangesOf(kept.messages)))
      .catch(() => {
        // A thread that has no turn yet is not kept (404): an empty conversation.
      })
      .finally(() => !controller.signal.aborted && setRestoring(false));
    return () => controller.abort();
  }, [thread]);

  useBusEvents((event) => {
    if (event.type !== "forge.started" || typeof event.runId !== "string") return;
    const index = exchanges.findIndex((e) => e.status === "streaming");
    if (index >= 0) update(index, (e) => ({ ...e, runIds: [...e.runIds, event.runId as string] }));
  });

  // Escape stops the answer being written, wherever the focus is on this page.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && streaming && !document.querySelector("dialog[open]")) {
        e.preventDefault();
        stop();
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);

  const log = useRef<HTMLOListElement>(null);
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: "nearest" });
  }, [exchanges.length]);

  function stop() {
    streaming?.abort();
  }

  async function ask(question: string, index: number) {
    const controller = new AbortController();
    streaming = controller;
    try {
      const response = await request("/v1/chat/completions", {
        method: "POST",
        signal: controller.signal,
        headers: { "content-type": "application/json", "x-thread-id": thread },
        body: JSON.stringify({ model: "toolforge", stream: true, messages: [{ role: "user", content: question }] }),
      });
      if (!response.body) throw new Error("the server's answer has no body");
      for await (const message of readSse(response.body)) {
        if (message.data === "[DONE]") break;
        const chunk = JSON.parse(message.data) as {
          choices?: { delta?: { content?: string; reasoning_content?: string } }[];
          error?: { message?: string };
          toolforge?: { event?: { type?: string; request?: ConsentRequest } };
        };
        if (chunk.error) throw new Error(chunk.error.message ?? "the stream failed");
        const delta = chunk.choices?.[0]?.delta;
        const step = delta?.reasoning_content?.trim();
        if (step) update(index, (e) => ({ ...e, steps: [...e.steps, step] }));
        if (delta?.content) update(index, (e) => ({ ...e, answer: e.answer + delta.content }));
        const asked = chunk.toolforge?.event?.type === "consent" ? chunk.toolforge.event.request : undefined;
        if (asked) update(index, (e) => ({ ...e, consent: [...(e.consent ?? []).filter((c) => c.tool !== asked.tool), asked] }));
      }
      if (controller.signal.aborted) throw new DOMException("stopped", "AbortError");
      update(index, (e) => ({ ...e, status: "done" }));
    } catch (error) {
      if (controller.signal.aborted) update(index, (e) => ({ ...e, status: "stopped" }));
      else {
        update(index, (e) => ({ ...e, status: "failed", error: describeError(streamError(error)) }));
        // Ollama or the server may have gone: let the header say so now.
        void health.check({ suspect: true });
      }
    } finally {
      if (streaming === controller) streaming = null;
      threads.reload();
    }
  }

  function send(event: Event) {
    event.preventDefault();
    const question = text.trim();
    if (!question || busy) return;
    setText("");
    const index = exchanges.length;
    change((list) => [...list, { question, steps: [], answer: "", error: null, status: "streaming", runIds: [] }]);
    void ask(question, index);
  }

  function retry(index: number) {
    if (busy) return;
    const question = exchanges[index]!.question;
    update(index, (e) => ({ ...e, steps: [], answer: "", error: null, status: "streaming", runIds: [], consent: [] }));
    void ask(question, index);
  }

  function open(id: string) {
    if (busy) return;
    sessionStorage.setItem(THREAD_ITEM, id);
    setThread(id);
    setExchanges(shown.get(id) ?? []);
    input.current?.focus();
  }

  function newConversation() {
    if (busy) return;
    sessionStorage.removeItem(THREAD_ITEM);
    const id = currentThread();
    keep(id, []);
    open(id);
  }

  const runIds = exchanges.flatMap((e) => e.runIds);
  const latest = runIds.at(-1);
  return (
    <div class="split chat-layout">
      <section class="chat" aria-labelledby="chat-heading" data-thread={thread}>
        <h2 id="chat-heading">Chat</h2>
        {restoring && exchanges.length === 0 ? <p class="muted">Loading the conversation…</p> : null}
        <ol class="exchanges" ref={log} aria-live="polite" aria-busy={busy}>
          {exchanges.map((e, index) => (
            <ExchangeView exchange={e} onRetry={busy ? null : () => retry(index)} />
          ))}
        </ol>
        <form class="ask" onSubmit={send}>
          <label for="chat-input">Message</label>
          <textarea
            id="chat-input"
            ref={input}
            rows={3}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) send(e);
            }}
            placeholder="Ask something; Enter sends, Shift+Enter starts a new line, Escape stops the answer"
          />
          <div class="buttons">
            {busy ? (
              <button type="button" class="primary" onClick={stop} aria-keyshortcuts="Escape">
                Stop
              </button>
            ) : (
              <button type="submit" class="primary" disabled={!text.trim()}>
                Send
              </button>
            )}
            <button type="button" onClick={newConversation} disabled={busy}>
              New conversation
            </button>
          </div>
        </form>
        <Threads threads={threads.data?.threads ?? []} error={threads.error} current={thread} busy={busy} onOpen={open} />
      </section>
      <section class="detail-pane forge-side" aria-label="The forge while it answers">
        {latest ? (
          <RunPane runId={latest} compact />
        ) : (
          <p class="muted">When the agent needs a tool it does not have, the forge's attempts appear here as it writes it.</p>
        )}
      </section>
    </div>
  );
}

const ENDED: Partial<Record<ExchangeStatus, string>> = {
  stopped: "Stopped: you stopped this answer. The work done before it is above.",
  failed: "The turn failed. The work done before the error is above.",
};

function ExchangeView({ exchange: e, onRetry }: { exchange: Exchange; onRetry: (() => void) | null }) {
  const ended = e.status === "stopped" || e.status === "failed";
  return (
    <li class="exchange" data-done={e.status !== "streaming"} data-status={e.status}>
      <p class="question">
        <span class="who">You</span> {e.question}
      </p>
      {e.steps.length > 0 ? (
        <details class="steps" open={e.status !== "done"}>
          <summary>
            The team's work ({e.steps.length} step{e.steps.length === 1 ? "" : "s"})
          </summary>
          <ol>
            {e.steps.map((step) => (
              <li>{step}</li>
            ))}
          </ol>
        </details>
      ) : null}
      <div class="answer">
        <span class="who">ToolForge</span>{" "}
        {e.answer ||
          (e.status === "streaming" ? (
            <span class="muted">working…</span>
          ) : e.status === "done" ? (
            <span class="muted">(no answer was kept for this turn)</span>
          ) : null)}
      </div>
      {e.error ? (
        <p role="alert" class="error-text">
          {e.error}
        </p>
      ) : null}
      {e.consent?.length ? (
        <div class="consent">
          {e.consent.map((request) => (
            <ConsentCard request={request} onAnswered={() => undefined} />
          ))}
          {e.status === "done" && onRetry ? (
            <button type="button" onClick={onRetry}>
              Ask again
            </button>
          ) : null}
        </div>
      ) : null}
      {ended ? (
        <div class="ended">
          <span class="muted">{ENDED[e.status]}</span>
          {onRetry ? (
            <button type="button" onClick={onRetry}>
              Retry
            </button>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

function Threads(props: { threads: ThreadSummary[]; error: string | null; current: string; busy: boolean; onOpen: (id: string) => void }) {
  return (
    <section class="threads" aria-labelledby="threads-heading">
      <h3 id="threads-heading">Past conversations</h3>
      {props.error ? <p class="error-text">{props.error}</p> : null}
      {props.threads.length === 0 && !props.error ? (
        <p class="muted">None yet: each conversation is kept from its first question.</p>
      ) : null}
      <ul class="thread-list">
        {props.threads.map((t) => (
          <li data-thread={t.id} class={t.id === props.current ? "current" : ""}>
            <button
              type="button"
              class="link"
              onClick={() => props.onOpen(t.id)}
              disabled={props.busy}
              aria-current={t.id === props.current}
            >
              {t.title}
            </button>
            <span class="muted small">
              {" "}
              · {t.turns} turn{t.turns === 1 ? "" : "s"} · {formatTime(t.updated_at)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
