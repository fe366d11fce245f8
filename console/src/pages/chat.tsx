/**
 * A chat with the agent through its OpenAI-compatible route, streamed: the answer appears as it is
 * written, the team's steps above it, and the forge runs started while it answers are shown beside
 * it as timelines that fill in attempt by attempt.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { authHeaders, describeError, errorOf } from "../api.js";
import { useBusEvents } from "../hooks.js";
import { readSse } from "../sse.js";
import { RunPane } from "./forge.js";

interface Exchange {
  question: string;
  steps: string[];
  answer: string;
  error: string | null;
  done: boolean;
  runIds: string[];
}

const THREAD_ITEM = "toolforge.chatThread";

/** The conversation survives a change of page (not a reload: the thread does, in the store). */
const conversation: { exchanges: Exchange[] } = { exchanges: [] };

function threadId(): string {
  let id = sessionStorage.getItem(THREAD_ITEM);
  if (!id) {
    id = `console-${crypto.randomUUID()}`;
    sessionStorage.setItem(THREAD_ITEM, id);
  }
  return id;
}

export function ChatPage() {
  const [exchanges, setExchanges] = useState<Exchange[]>(conversation.exchanges);
  const [text, setText] = useState("");
  const busy = exchanges.some((e) => !e.done);
  const log = useRef<HTMLOListElement>(null);

  const update = (index: number, change: (e: Exchange) => Exchange) =>
    setExchanges((list) => {
      const next = list.map((e, i) => (i === index ? change(e) : e));
      conversation.exchanges = next;
      return next;
    });

  useBusEvents((event) => {
    if (event.type !== "forge.started" || typeof event.runId !== "string") return;
    const index = exchanges.findIndex((e) => !e.done);
    if (index >= 0) update(index, (e) => ({ ...e, runIds: [...e.runIds, event.runId as string] }));
  });

  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: "end" });
  }, [exchanges.length]);

  async function send(event: Event) {
    event.preventDefault();
    const question = text.trim();
    if (!question || busy) return;
    setText("");
    const index = exchanges.length;
    const fresh: Exchange = { question, steps: [], answer: "", error: null, done: false, runIds: [] };
    setExchanges((list) => (conversation.exchanges = [...list, fresh]));
    try {
      const response = await fetch("/v1/chat/completions", {
        method: "POST",
        headers: authHeaders({ "content-type": "application/json", "x-thread-id": threadId() }),
        body: JSON.stringify({ model: "toolforge", stream: true, messages: [{ role: "user", content: question }] }),
      });
      if (!response.ok || !response.body) throw await errorOf(response);
      for await (const message of readSse(response.body)) {
        if (message.data === "[DONE]") break;
        const chunk = JSON.parse(message.data) as {
          choices?: { delta?: { content?: string; reasoning_content?: string } }[];
          error?: { message?: string };
        };
        if (chunk.error) throw new Error(chunk.error.message ?? "the stream failed");
        const delta = chunk.choices?.[0]?.delta;
        if (delta?.reasoning_content) {
          const line = delta.reasoning_content.trim();
          if (line) update(index, (e) => ({ ...e, steps: [...e.steps, line] }));
        }
        if (delta?.content) update(index, (e) => ({ ...e, answer: e.answer + delta.content }));
      }
      update(index, (e) => ({ ...e, done: true }));
    } catch (error) {
      update(index, (e) => ({ ...e, done: true, error: describeError(error) }));
    }
  }

  function newConversation() {
    sessionStorage.removeItem(THREAD_ITEM);
    conversation.exchanges = [];
    setExchanges([]);
  }

  const runIds = exchanges.flatMap((e) => e.runIds);
  const latest = runIds.at(-1);
  return (
    <div class="split chat-layout">
      <section class="chat" aria-labelledby="chat-heading">
        <h2 id="chat-heading">Chat</h2>
        <ol class="exchanges" ref={log} aria-live="polite" aria-busy={busy}>
          {exchanges.map((e) => (
            <li class="exchange" data-done={e.done}>
              <p class="question">
                <span class="who">You</span> {e.question}
              </p>
              {e.steps.length > 0 ? (
                <details class="steps" open={!e.done}>
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
                <span class="who">ToolForge</span> {e.answer || (e.done ? "" : <span class="muted">working…</span>)}
              </div>
              {e.error ? (
                <p role="alert" class="error-text">
                  {e.error}
                </p>
              ) : null}
            </li>
          ))}
        </ol>
        <form class="ask" onSubmit={send}>
          <label for="chat-input">Message</label>
          <textarea
            id="chat-input"
            rows={3}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) send(e);
            }}
            placeholder="Ask something; Enter sends, Shift+Enter starts a new line"
          />
          <div class="buttons">
            <button type="submit" class="primary" disabled={busy || !text.trim()}>
              {busy ? "Answering…" : "Send"}
            </button>
            <button type="button" onClick={newConversation} disabled={busy}>
              New conversation
            </button>
          </div>
        </form>
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
