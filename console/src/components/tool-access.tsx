/**
 * Where each host a tool calls stands, on the tool's page: granted (and whether the host adds a
 * credential), denied, or not answered — with Allow / Deny for what is unanswered and Revoke for
 * what is answered (POST /tools/:name/grants, DELETE /tools/:name/grants/:host). A tool that calls
 * no host shows nothing. A host that may be on the person's own network gets the consent card's
 * unticked "on my own network" box, so Allow means the same here as there.
 */
import { useState } from "preact/hooks";
import { ownNetworkHost } from "../../../src/contract.js";
import { describeError, postJson, request } from "../api.js";
import { grantBodies, withOwnNetwork } from "../consent-grants.js";
import type { HostAccess } from "../types.js";

export function ToolAccess(props: { name: string; access: HostAccess[]; onChanged: () => void }) {
  const { name, access } = props;
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ownNetwork, setOwnNetwork] = useState<ReadonlySet<string>>(new Set());
  if (access.length === 0) return null;
  const grants = `/tools/${encodeURIComponent(name)}/grants`;

  async function act(host: string, action: () => Promise<unknown>) {
    setBusy(host);
    setError(null);
    try {
      await action();
      props.onChanged();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(null);
    }
  }

  async function allow(host: string) {
    for (const body of grantBodies("grant", [host], ownNetwork)) await postJson(grants, body);
  }

  return (
    <section aria-labelledby="access-heading">
      <h3 id="access-heading">Reaches</h3>
      <p class="muted small">
        It runs without a network: ToolForge makes its requests, to these hosts only, once a person allows each. A grant is a channel to
        that host.
      </p>
      <table class="list access">
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">Stands</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {access.map((a) => (
            <tr data-host={a.host} data-status={a.status}>
              <td data-label="Host">
                <code>{a.host}</code>
              </td>
              <td data-label="Stands">
                {a.status}
                {a.credential ? <span class="muted"> (adds {a.credential})</span> : null}
                {a.status === "not answered" && ownNetworkHost(a.host) !== null ? (
                  <label class="small own-network">
                    <input
                      type="checkbox"
                      checked={ownNetwork.has(a.host)}
                      disabled={busy !== null}
                      onChange={(e) => setOwnNetwork(withOwnNetwork(ownNetwork, a.host, e.currentTarget.checked))}
                    />
                    <span>on my own network: allow plain http{ownNetworkHost(a.host) === "name" ? " and private addresses" : ""}</span>
                  </label>
                ) : null}
              </td>
              <td data-label="Actions" class="buttons">
                {a.status === "not answered" ? (
                  <>
                    <button type="button" disabled={busy !== null} onClick={() => void act(a.host, () => allow(a.host))}>
                      Allow
                    </button>
                    <button
                      type="button"
                      disabled={busy !== null}
                      onClick={() => void act(a.host, () => postJson(grants, { decision: "deny", hosts: [a.host] }))}
                    >
                      Deny
                    </button>
                  </>
                ) : (
                  <button
                    type="button"
                    disabled={busy !== null}
                    onClick={() => void act(a.host, () => request(`${grants}/${encodeURIComponent(a.host)}`, { method: "DELETE" }))}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error ? (
        <p role="alert" class="error-text">
          {error}
        </p>
      ) : null}
    </section>
  );
}
