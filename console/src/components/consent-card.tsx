/**
 * A tool asks a person to let it reach hosts: the card says which tool, which hosts and why, and
 * takes the answer — allow (this version and later ones), allow this version only, or deny — as
 * POST /tools/:name/grants. The call was not made; once answered, "Ask again" re-sends the question.
 */
import { useState } from "preact/hooks";
import { describeError, postJson } from "../api.js";

export interface ConsentRequest {
  tool: string;
  version: number;
  description: string;
  hosts: string[];
  missing: string[];
  denied: string[];
}

type Answer = "grant" | "grant_version" | "deny";

const ANSWERS: { answer: Answer; label: string; body: { decision: "grant" | "deny"; scope?: "tool" | "version" } }[] = [
  { answer: "grant", label: "Allow", body: { decision: "grant", scope: "tool" } },
  { answer: "grant_version", label: "Allow this version only", body: { decision: "grant", scope: "version" } },
  { answer: "deny", label: "Deny", body: { decision: "deny" } },
];

export function ConsentCard(props: { request: ConsentRequest; onAnswered: (answer: Answer) => void }) {
  const { request } = props;
  const [state, setState] = useState<{ answered: Answer | null; busy: boolean; error: string | null }>({
    answered: null,
    busy: false,
    error: null,
  });
  const hosts = [...request.missing, ...request.denied];

  async function answer(choice: (typeof ANSWERS)[number]) {
    setState({ answered: null, busy: true, error: null });
    try {
      await postJson(`/tools/${encodeURIComponent(request.tool)}/grants`, { ...choice.body, hosts });
      setState({ answered: choice.answer, busy: false, error: null });
      props.onAnswered(choice.answer);
    } catch (error) {
      setState({ answered: null, busy: false, error: describeError(error) });
    }
  }

  return (
    <section class="consent-card" aria-label={`${request.tool} asks to reach ${hosts.join(", ")}`} data-tool={request.tool}>
      <h4>
        <code>{request.tool}</code> v{request.version} asks to reach {hosts.map((h, i) => [i ? ", " : "", <code>{h}</code>])}
      </h4>
      <p class="muted small">{request.description}</p>
      <p class="small">
        Its code runs in a gVisor sandbox with no network: ToolForge makes these requests for it, to these hosts only, and logs each.
        {request.denied.length ? " It was denied before." : ""}
      </p>
      {state.answered ? (
        <p role="status" class="notice">
          {state.answered === "deny" ? "Denied: it will not be called." : "Allowed."}
        </p>
      ) : (
        <div class="buttons">
          {ANSWERS.map((choice) => (
            <button
              type="button"
              class={choice.answer === "grant" ? "primary" : ""}
              disabled={state.busy}
              onClick={() => void answer(choice)}
            >
              {choice.label}
            </button>
          ))}
        </div>
      )}
      {state.error ? (
        <p role="alert" class="error-text">
          {state.error}
        </p>
      ) : null}
    </section>
  );
}
