/**
 * A tool asks a person to let it reach hosts: the card says which tool, which hosts and why, and
 * takes the answer — allow (this version and later ones), allow this version only, or deny — as
 * POST /tools/:name/grants. The call was not made; once answered, "Ask again" re-sends the question.
 *
 * A host that may be on the person's own network (an IPv4 address, a local name: the contract's
 * `ownNetworkHost`) gets a box of its own, unticked: "on my own network" grants it with the
 * private-network mark (plain http; for a name, private addresses too). Without it, a grant is for
 * HTTPS only, so a device at home that speaks plain http needs the box — never ticked for the person.
 */
import { useState } from "preact/hooks";
import { ownNetworkHost } from "../../../src/contract.js";
import type { ConsentRequest } from "../../../src/tools/consent.js";
import { describeError, postJson } from "../api.js";
import { grantBodies, withOwnNetwork, type Answer } from "../consent-grants.js";

export type { ConsentRequest };

const ANSWERS: { answer: Answer; label: string }[] = [
  { answer: "grant", label: "Allow" },
  { answer: "grant_version", label: "Allow this version only" },
  { answer: "deny", label: "Deny" },
];

export function ConsentCard(props: { request: ConsentRequest; onAnswered: (answer: Answer) => void }) {
  const { request } = props;
  const [state, setState] = useState<{ answered: Answer | null; busy: boolean; error: string | null }>({
    answered: null,
    busy: false,
    error: null,
  });
  const [ownNetwork, setOwnNetwork] = useState<ReadonlySet<string>>(new Set());
  const hosts = [...request.missing, ...request.denied];
  const local = hosts.filter((host) => ownNetworkHost(host) !== null);

  async function answer(choice: (typeof ANSWERS)[number]) {
    setState({ answered: null, busy: true, error: null });
    try {
      for (const body of grantBodies(choice.answer, hosts, ownNetwork))
        await postJson(`/tools/${encodeURIComponent(request.tool)}/grants`, body);
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
        Whatever the tool is given it can send to them: allow only hosts you trust with it.
        {request.denied.length ? " It was denied before." : ""}
      </p>
      {local.length && !state.answered ? (
        <div class="own-network">
          {local.map((host) => (
            <label class="small">
              <input
                type="checkbox"
                checked={ownNetwork.has(host)}
                disabled={state.busy}
                onChange={(e) => setOwnNetwork(withOwnNetwork(ownNetwork, host, e.currentTarget.checked))}
              />
              <span>
                <code>{host}</code> is on my own network: allow plain http
                {ownNetworkHost(host) === "name" ? " and private addresses" : ""} (otherwise HTTPS only)
              </span>
            </label>
          ))}
        </div>
      ) : null}
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
