/**
 * Try a tool: a form made from its input schema (a field per property: text, number, a yes/no box,
 * a choice for an enum, JSON for arrays and objects), sent to POST /tools/:name/call, which runs it
 * as the agent would (the argument check, then the sandbox). The answer or the failure is shown
 * under the form, and the call joins the tool's recent calls.
 */
import { useState } from "preact/hooks";
import { describeError, postJson } from "../api.js";
import { formatMs, json } from "../format.js";
import { argumentsOf, fieldsOf, type FormValues } from "../schema-form.js";
import type { Json, ToolCallOutcome } from "../types.js";

export function TryTool({ name, schema, onCalled }: { name: string; schema: Json; onCalled: () => void }) {
  const fields = fieldsOf(schema);
  const [values, setValues] = useState<FormValues>({});
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ToolCallOutcome | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const set = (field: string, value: string | boolean) => setValues((v) => ({ ...v, [field]: value }));

  async function submit(event: Event) {
    event.preventDefault();
    setProblem(null);
    setOutcome(null);
    const built = argumentsOf(fields, values);
    if ("problem" in built) {
      setProblem(built.problem);
      return;
    }
    setBusy(true);
    try {
      setOutcome(await postJson<ToolCallOutcome>(`/tools/${encodeURIComponent(name)}/call`, { args: built.args }));
      onCalled();
    } catch (error) {
      setProblem(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  const id = (field: string) => `try-${name}-${field}`;
  return (
    <form class="try" onSubmit={submit} aria-labelledby="try-heading">
      <h3 id="try-heading">Try it</h3>
      {fields.length === 0 ? <p class="muted">It takes no arguments.</p> : null}
      <div class="fields">
        {fields.map((field) => (
          <div class={`field field-${field.kind}`}>
            <label for={id(field.name)}>
              {field.name}
              {field.required ? "" : " (optional)"}
              {field.kind === "json" ? " — JSON" : ""}
            </label>
            {field.choices ? (
              <select id={id(field.name)} name={field.name} onChange={(e) => set(field.name, e.currentTarget.value)}>
                <option value="">—</option>
                {field.choices.map((choice) => (
                  <option value={String(choice)}>{String(choice)}</option>
                ))}
              </select>
            ) : field.kind === "boolean" ? (
              <input id={id(field.name)} name={field.name} type="checkbox" onChange={(e) => set(field.name, e.currentTarget.checked)} />
            ) : field.kind === "number" || field.kind === "integer" ? (
              <input
                id={id(field.name)}
                name={field.name}
                type="number"
                step={field.kind === "integer" ? 1 : "any"}
                required={field.required}
                onInput={(e) => set(field.name, e.currentTarget.value)}
              />
            ) : (
              <textarea
                id={id(field.name)}
                name={field.name}
                rows={field.kind === "json" ? 3 : 2}
                required={field.required && field.kind !== "string"}
                onInput={(e) => set(field.name, e.currentTarget.value)}
              />
            )}
            {field.description ? <div class="muted small">{field.description}</div> : null}
          </div>
        ))}
      </div>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? `Running ${name}…` : `Call ${name}`}
      </button>
      <span class="muted small"> Runs in the sandbox, as when the agent calls it.</span>
      {problem ? (
        <p role="alert" class="error-text">
          {problem}
        </p>
      ) : null}
      {outcome ? (
        <div class={`try-outcome ${outcome.ok ? "ok" : "failed"}`} role="status" data-outcome={outcome.ok ? "ok" : "error"}>
          {outcome.ok ? (
            <>
              <strong>
                v{outcome.version} answered in <span class="nowrap">{formatMs(outcome.duration_ms)}</span>:
              </strong>
              <pre class="try-result">{json(outcome.result)}</pre>
            </>
          ) : (
            <p class="error-text">
              <strong>
                v{outcome.version} failed ({outcome.kind}) after <span class="nowrap">{formatMs(outcome.duration_ms)}</span>:
              </strong>{" "}
              {outcome.error}
            </p>
          )}
        </div>
      ) : null}
    </form>
  );
}
