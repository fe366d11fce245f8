/**
 * The event stream as it happens: turns, tool calls, forges, guards and refusals, newest first,
 * each with a link to where it leads (a run, a tool, an object).
 */
import { useState } from "preact/hooks";
import { formatClock, formatMs, formatRequest, truncate } from "../format.js";
import { href, useFeedState } from "../hooks.js";
import { STAGES, attemptVerdict } from "../components/timeline.js";
import type { BusEvent, ForgeStage } from "../types.js";

export type Category = "turn" | "tool" | "forge" | "guard" | "refusal" | "library" | "object" | "model" | "other";
export const CATEGORIES: Category[] = ["turn", "tool", "forge", "guard", "refusal", "library", "object", "model", "other"];

export interface Described {
  category: Category;
  text: string;
  link?: { href: string; label: string };
  failed?: boolean;
}

const str = (value: unknown): string => (typeof value === "string" ? value : value === undefined || value === null ? "" : String(value));

export function describeEvent(e: BusEvent): Described {
  const run = typeof e.runId === "string" ? { href: href("forge", e.runId), label: "the run" } : undefined;
  switch (e.type) {
    case "turn.started":
      return { category: "turn", text: `turn started on ${truncate(str(e.threadId), 12)}: “${truncate(str(e.message), 120)}”` };
    case "turn.finished": {
      const used = Array.isArray(e.toolsUsed) && e.toolsUsed.length > 0 ? `, used ${e.toolsUsed.join(", ")}` : "";
      const made = Array.isArray(e.toolsCreated) && e.toolsCreated.length > 0 ? `, created ${e.toolsCreated.join(", ")}` : "";
      return { category: "turn", text: `turn answered in ${formatMs(Number(e.durationMs))}${used}${made}` };
    }
    case "turn.failed":
      return { category: "turn", text: `turn failed after ${formatMs(Number(e.durationMs))}: ${str(e.error)}`, failed: true };
    case "turn.notice":
      return { category: "guard", text: str(e.text) };
    case "tool.called":
      return e.outcome === "ok"
        ? {
            category: "tool",
            text: `${str(e.name)} → ${e.result === undefined ? "ok" : truncate(str(e.result), 160)} (${formatMs(Number(e.durationMs))})`,
            link: { href: href("library", str(e.name)), label: str(e.name) },
          }
        : {
            category: "tool",
            text: `${str(e.name)} failed: ${str(e.error)}`,
            failed: true,
            link: { href: href("library", str(e.name)), label: str(e.name) },
          };
    case "forge.started":
      return { category: "forge", text: `forging a ${str(e.kind)}: ${truncate(str(e.spec), 140)}`, ...(run ? { link: run } : {}) };
    case "forge.attempt":
      if (e.outcome === "passed")
        return { category: "forge", text: `attempt ${str(e.attempt)} passed every check`, ...(run ? { link: run } : {}) };
      return {
        category: e.stage === "audit" ? "refusal" : "forge",
        text: `attempt ${str(e.attempt)} ${STAGES.includes(e.stage as ForgeStage) ? attemptVerdict({ stage: e.stage as ForgeStage, outcome: "failed" }) : `failed at ${str(e.stage)}`}${e.failure ? `: ${str(e.failure)}` : ""}`,
        failed: true,
        ...(run ? { link: run } : {}),
      };
    case "tool.created":
      return {
        category: "forge",
        text: `installed ${str(e.name)} v${str(e.version)}`,
        link: { href: href("library", str(e.name)), label: str(e.name) },
      };
    case "forge.reused":
      return { category: "forge", text: `reused ${str(e.name)} v${str(e.version)} (already installed)`, ...(run ? { link: run } : {}) };
    case "forge.failed":
      return { category: "refusal", text: `the forge gave up: ${str(e.reason)}`, failed: true, ...(run ? { link: run } : {}) };
    case "method.learned":
      return {
        category: "forge",
        text: `${str(e.objectId)} learned ${str(e.selector)} v${str(e.version)}`,
        link: { href: href("objects", str(e.objectId)), label: str(e.objectId) },
      };
    case "tool.rolled_back":
      return {
        category: "library",
        text: `${str(e.name)} rolled back to v${str(e.version)}`,
        link: { href: href("library", str(e.name)), label: str(e.name) },
      };
    case "tool.request":
      return {
        category: "tool",
        text: `${str(e.name)} v${str(e.version)}: ${formatRequest(e as unknown as Parameters<typeof formatRequest>[0])}`,
        failed: e.refused !== null && e.refused !== undefined,
        link: { href: href("library", str(e.name)), label: str(e.name) },
      };
    case "tool.granted":
    case "tool.denied":
      return {
        category: "library",
        text: `a person ${e.type === "tool.granted" ? "granted" : "denied"} ${str(e.name)} access to ${str(e.host)} (${e.onlyThisVersion ? `v${str(e.version)} only` : `v${str(e.version)} and later`})`,
        link: { href: href("library", str(e.name)), label: str(e.name) },
      };
    case "tool.revoked":
      return {
        category: "library",
        text: `a person revoked ${str(e.name)}'s access to ${str(e.host)}`,
        link: { href: href("library", str(e.name)), label: str(e.name) },
      };
    case "tool.added":
      return {
        category: "library",
        text: `added ${str(e.name)} v${str(e.version)} (by hand: audited and tested in the sandbox)`,
        link: { href: href("library", str(e.name)), label: str(e.name) },
      };
    case "message.finished":
      return {
        category: "object",
        text: `message ${truncate(str(e.messageId), 8)} ${str(e.status)}`,
        failed: e.status === "failed",
        ...(typeof e.forgeRunId === "string" ? { link: { href: href("forge", e.forgeRunId), label: "the run" } } : {}),
      };
    case "model.context_truncated":
      return {
        category: "model",
        text:
          `${str(e.persona).toUpperCase()}'s prompt was cut: Ollama read ${Number(e.promptEvalCount).toLocaleString()} of about ` +
          `${Number(e.estimatedTokens).toLocaleString()} tokens (${str(e.model)}, window ${Number(e.numCtx).toLocaleString()}); raise NUM_CTX or use a model with a larger context`,
        failed: true,
      };
    default:
      return { category: "other", text: readable(e) };
  }
}

/** An event of a kind this page does not know, as "field: value" pairs rather than JSON. */
function readable(e: BusEvent): string {
  const fields = Object.entries(e)
    .filter(([key]) => key !== "type" && key !== "at")
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  return truncate(fields.join(" · ") || "(no details)", 200);
}

export function LivePage() {
  const feed = useFeedState();
  const [hidden, setHidden] = useState<Set<Category>>(new Set());
  const [paused, setPaused] = useState<BusEvent[] | null>(null);
  const events = (paused ?? feed.events).map((event) => ({ event, described: describeEvent(event) }));
  const shown = events.filter((e) => !hidden.has(e.described.category)).reverse();
  const toggle = (category: Category) => {
    const next = new Set(hidden);
    if (next.has(category)) next.delete(category);
    else next.add(category);
    setHidden(next);
  };
  return (
    <section aria-labelledby="live-heading">
      <h2 id="live-heading">Live</h2>
      <p class="muted">
        Everything the server publishes on <code>/events</code> from the moment this page opened: turns, tool calls, forges, guards and
        refusals.
      </p>
      <div class="toolbar">
        <fieldset>
          <legend>Show</legend>
          {CATEGORIES.map((category) => (
            <label>
              <input type="checkbox" checked={!hidden.has(category)} onChange={() => toggle(category)} /> {category}
            </label>
          ))}
        </fieldset>
        <button type="button" onClick={() => setPaused(paused ? null : [...feed.events])} aria-pressed={paused !== null}>
          {paused ? "Resume" : "Pause"}
        </button>
        <button type="button" onClick={() => feed.clear()}>
          Clear
        </button>
        <span class="muted">
          {shown.length} of {events.length} events
        </span>
      </div>
      {shown.length === 0 ? <p class="muted">Nothing yet. Ask something in the chat, or send a message to an object.</p> : null}
      <ol class="live" aria-label="Events, newest first">
        {shown.map(({ event, described }) => (
          <li class={`event cat-${described.category}${described.failed ? " failed" : ""}`} data-type={event.type}>
            <time dateTime={event.at}>{formatClock(event.at)}</time>
            <span class={`badge cat-${described.category}`}>{described.category}</span>
            <span class="event-type">{event.type}</span>
            <span class="event-text">{described.text}</span>
            {described.link ? <a href={described.link.href}>{described.link.label}</a> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
