/**
 * Living objects: each with its prototypes, attributes and methods (each with its source and the
 * forge run that wrote it), and its recent messages with their status and result or error (and the
 * forge run a message started); a form sends a message and follows it until it is done.
 */
import { useEffect, useState } from "preact/hooks";
import { describeError, getJson, postJson } from "../api.js";
import { CodeView } from "../components/code.js";
import { formatTime, json, truncate } from "../format.js";
import { href, useBusEvents, useDetailAtTop, useLoad } from "../hooks.js";
import type { Json, Message, ObjectDetail, ObjectSummary } from "../types.js";
import { DetailPane } from "../components/detail-pane.js";

export function ObjectsPage({ id }: { id: string | undefined }) {
  const objects = useLoad("objects", (signal) => getJson<{ objects: ObjectSummary[] }>("/objects", signal));
  useBusEvents((event) => {
    if (event.type === "method.learned" || event.type === "message.finished") objects.reload();
  });
  useDetailAtTop(id);
  return (
    <div class="split" data-detail={id ? "open" : "none"}>
      <section class="list-pane" aria-labelledby="objects-heading">
        <h2 id="objects-heading">Objects</h2>
        {objects.error ? (
          <p role="alert" class="error-text">
            {objects.error}
          </p>
        ) : null}
        {objects.data && objects.data.objects.length === 0 ? (
          <p class="muted">
            No objects. <code>toolforge genesis</code> creates the root objects; <code>POST /objects</code> creates more.
          </p>
        ) : null}
        {objects.data ? (
          <ul class="objects">
            {objects.data.objects.map((o) => (
              <li class={o.id === id ? "current" : ""} data-object={o.id}>
                <a href={href("objects", o.id)} aria-current={o.id === id ? "page" : undefined}>
                  {o.id}
                </a>
                <div class="muted small">
                  {o.prototypes.length > 0 ? `from ${o.prototypes.join(", ")} · ` : ""}
                  {o.methods.length} method{o.methods.length === 1 ? "" : "s"}
                </div>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <DetailPane chosen={id !== undefined} back={{ href: href("objects"), label: "All objects" }} empty="Choose an object.">
        {id ? <ObjectPane id={id} /> : null}
      </DetailPane>
    </div>
  );
}

function ObjectPane({ id }: { id: string }) {
  const object = useLoad(`object:${id}`, (signal) => getJson<ObjectDetail>(`/objects/${encodeURIComponent(id)}`, signal));
  const messages = useLoad(`messages:${id}`, (signal) =>
    getJson<{ messages: Message[] }>(`/messages?target_object_id=${encodeURIComponent(id)}&limit=20`, signal),
  );
  const [sent, setSent] = useState<Message[]>([]);
  const [source, setSource] = useState<string | null>(null);
  useEffect(() => {
    setSent([]);
    setSource(null);
  }, [id]);
  useBusEvents((event) => {
    if (event.type === "method.learned" && event.objectId === id) object.reload();
    // A finished message may have changed the object's attributes.
    if (event.type === "message.finished") {
      messages.reload();
      object.reload();
    }
  });

  if (object.error)
    return (
      <p role="alert" class="error-text">
        {object.error}
      </p>
    );
  if (!object.data) return <p class="muted">Loading {id}…</p>;
  const detail = object.data;
  const shownMethod = detail.methods.find((m) => m.selector === source);
  const listed = new Set((messages.data?.messages ?? []).map((m) => m.message_id));
  const rows = [...sent.filter((m) => !listed.has(m.message_id)), ...(messages.data?.messages ?? [])];

  const onSent = (message: Message) => setSent((list) => [message, ...list.filter((m) => m.message_id !== message.message_id)]);
  const onFinished = () => {
    object.reload();
    messages.reload();
  };

  return (
    <article aria-labelledby="object-heading">
      <h2 id="object-heading">{detail.id}</h2>
      <dl class="facts">
        <dt>Prototypes</dt>
        <dd>
          {detail.prototypes.length === 0
            ? "none"
            : detail.prototypes.map((p, i) => (
                <>
                  {i > 0 ? ", " : ""}
                  <a href={href("objects", p)}>{p}</a>
                </>
              ))}
        </dd>
        <dt>Revision</dt>
        <dd>{detail.revision}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(detail.updated_at)}</dd>
      </dl>
      <h3>Attributes</h3>
      <pre class="attributes">{json(detail.attributes)}</pre>
      <h3>Methods</h3>
      {detail.methods.length === 0 ? (
        <p class="muted">No methods of its own yet: a message it does not understand makes the forge write one.</p>
      ) : (
        <table class="list methods">
          <thead>
            <tr>
              <th scope="col">Method</th>
              <th scope="col">Version</th>
              <th scope="col">Description</th>
              <th scope="col">Made by</th>
            </tr>
          </thead>
          <tbody>
            {detail.methods.map((m) => (
              <tr data-method={m.selector} class={m.selector === source ? "current" : ""}>
                <td data-label="Method">
                  <code>{m.selector}</code>
                </td>
                <td data-label="Version" class="nowrap">
                  v{m.version} of {m.versions.length}
                </td>
                <td data-label="Description">{m.description}</td>
                <td data-label="Made by" class="actions">
                  <div class="action-buttons">
                    {m.forge_run_id ? <a href={href("forge", m.forge_run_id)}>the forge run</a> : <span class="muted">not forged</span>}
                    <button
                      type="button"
                      onClick={() => setSource(source === m.selector ? null : m.selector)}
                      aria-pressed={source === m.selector}
                    >
                      Source
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shownMethod ? (
        <section aria-labelledby="method-source-heading">
          <h4 id="method-source-heading">
            Source of {shownMethod.selector} v{shownMethod.version}
          </h4>
          <CodeView code={shownMethod.source} idPrefix="method-src" label={`Source of ${shownMethod.selector} v${shownMethod.version}`} />
        </section>
      ) : null}
      <SendForm target={detail.id} onSent={onSent} />
      <h3>Messages</h3>
      {messages.error ? <p class="error-text">{messages.error}</p> : null}
      {rows.length === 0 ? <p class="muted">No messages yet.</p> : null}
      {rows.length > 0 ? (
        <table class="list messages">
          <thead>
            <tr>
              <th scope="col">Sent</th>
              <th scope="col">Method</th>
              <th scope="col">Status</th>
              <th scope="col">Result or error</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <MessageRow key={m.message_id} message={m} onFinished={onFinished} />
            ))}
          </tbody>
        </table>
      ) : null}
    </article>
  );
}

/** One message; while it is pending or running, it is polled until it ends. */
function MessageRow({ message, onFinished }: { message: Message; onFinished: () => void }) {
  const [current, setCurrent] = useState(message);
  useEffect(() => setCurrent(message), [message]);
  const open = current.status === "pending" || current.status === "running";
  useEffect(() => {
    if (!open) return;
    let stopped = false;
    const timer = setInterval(async () => {
      try {
        const next = await getJson<Message>(`/message/${encodeURIComponent(current.message_id)}`);
        if (stopped) return;
        setCurrent(next);
        if (next.status === "done" || next.status === "failed") onFinished();
      } catch {
        // Try again on the next tick; a refused key is handled by the app.
      }
    }, 500);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [current.message_id, open]);
  return (
    <tr data-message={current.message_id} data-status={current.status} class={current.status === "failed" ? "failed" : ""}>
      <td data-label="Sent">{formatTime(current.created_at)}</td>
      <td data-label="Method">
        <code>{current.method_name}</code>
        {current.learned ? <span class="badge">learned</span> : null}
      </td>
      <td data-label="Status">
        <span class={`badge msg-${current.status}`}>{current.status}</span>
      </td>
      <td class="result value" data-label="Result or error">
        {current.status === "done" ? <code>{truncate(JSON.stringify(current.result ?? null), 400)}</code> : null}
        {current.error ? <span class="error-text">{current.error}</span> : null}
        {message.forge_run_id ? (
          <>
            {" "}
            <a class="run-link" href={href("forge", message.forge_run_id)}>
              {current.status === "failed" ? "why: the forge run" : "the forge run"}
            </a>
          </>
        ) : null}
      </td>
    </tr>
  );
}

function SendForm({ target, onSent }: { target: string; onSent: (message: Message) => void }) {
  const [method, setMethod] = useState("");
  const [args, setArgs] = useState("[]");
  const [kwargs, setKwargs] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    let parsedArgs: Json;
    let parsedKwargs: Json | undefined;
    try {
      parsedArgs = JSON.parse(args || "[]") as Json;
      if (!Array.isArray(parsedArgs)) throw new Error('must be a JSON array, e.g. [1, "two"]');
    } catch (e) {
      setError(`Arguments: ${describeError(e)}`);
      return;
    }
    try {
      parsedKwargs = kwargs.trim() ? (JSON.parse(kwargs) as Json) : undefined;
      if (parsedKwargs !== undefined && (typeof parsedKwargs !== "object" || parsedKwargs === null || Array.isArray(parsedKwargs))) {
        throw new Error('must be a JSON object, e.g. {"times": 2}');
      }
    } catch (e) {
      setError(`Keyword arguments: ${describeError(e)}`);
      return;
    }
    setBusy(true);
    try {
      const body = {
        target_object_id: target,
        method_name: method.trim(),
        args: parsedArgs,
        ...(parsedKwargs ? { kwargs: parsedKwargs } : {}),
      };
      const answer = await postJson<{ message_id: string }>("/message", body);
      onSent({
        message_id: answer.message_id,
        target_object_id: target,
        method_name: body.method_name,
        status: "pending",
        learned: false,
        created_at: new Date().toISOString(),
        started_at: null,
        finished_at: null,
      });
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="send" onSubmit={submit} aria-labelledby="send-heading">
      <h3 id="send-heading">Send a message</h3>
      <div class="fields">
        <label>
          Method
          <input
            name="method"
            required
            pattern="[A-Za-z_][A-Za-z0-9_]*"
            value={method}
            onInput={(e) => setMethod(e.currentTarget.value)}
            placeholder="greet"
          />
        </label>
        <label>
          Arguments (JSON array)
          <input name="args" value={args} onInput={(e) => setArgs(e.currentTarget.value)} />
        </label>
        <label>
          Keyword arguments (JSON object, optional)
          <input name="kwargs" value={kwargs} onInput={(e) => setKwargs(e.currentTarget.value)} placeholder='{"times": 2}' />
        </label>
      </div>
      <button type="submit" class="primary" disabled={busy}>
        Send to {target}
      </button>
      {error ? (
        <p role="alert" class="error-text">
          {error}
        </p>
      ) : null}
    </form>
  );
}
