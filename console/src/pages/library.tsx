/**
 * The library: every tool with its active version; for the chosen tool its description and
 * schema, a form to try it, its versions over time (each with where it came from: the forge run
 * that made it, added by hand, or imported), the source of a version with its tests, the changes
 * between two versions, its calls (arguments, result or error) and rollback to a chosen version
 * after a confirmation.
 */
import { useState } from "preact/hooks";
import { describeError, getJson, postJson } from "../api.js";
import { CodeView, testLine } from "../components/code.js";
import { Confirm } from "../components/confirm.js";
import { DiffView } from "../components/diff-view.js";
import { TryTool } from "../components/try-tool.js";
import { ToolAccess } from "../components/tool-access.js";
import { ToolUses } from "../components/tool-uses.js";
import { formatMs, formatRequest, formatTime, json, shortHash } from "../format.js";
import { href, useBusEvents, useDetailAtTop, useLoad } from "../hooks.js";
import type { ToolCalls, ToolDetail, ToolSummary, ToolVersion } from "../types.js";
import { DetailPane } from "../components/detail-pane.js";

export function LibraryPage({ name }: { name: string | undefined }) {
  const tools = useLoad("tools", (signal) => getJson<{ tools: ToolSummary[] }>("/tools", signal));
  useBusEvents((event) => {
    if (event.type === "tool.created" || event.type === "tool.rolled_back" || event.type === "tool.added") tools.reload();
  });
  useDetailAtTop(name);
  return (
    <div class="split" data-detail={name ? "open" : "none"}>
      <section class="list-pane" aria-labelledby="tools-heading">
        <h2 id="tools-heading">Tools</h2>
        {tools.error ? (
          <p role="alert" class="error-text">
            {tools.error}
          </p>
        ) : null}
        {tools.data && tools.data.tools.length === 0 ? (
          <p class="muted">No tools yet. Ask for one in the chat: the forge writes it.</p>
        ) : null}
        {tools.data && tools.data.tools.length > 0 ? (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Tool</th>
                <th scope="col">Active</th>
                <th scope="col">Versions</th>
              </tr>
            </thead>
            <tbody>
              {tools.data.tools.map((tool) => (
                <tr class={tool.name === name ? "current" : ""} data-tool={tool.name}>
                  <td>
                    <a href={href("library", tool.name)} aria-current={tool.name === name ? "page" : undefined}>
                      {tool.name}
                    </a>
                  </td>
                  <td class="nowrap">v{tool.active_version}</td>
                  <td>{tool.version_count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <DetailPane chosen={name !== undefined} back={{ href: href("library"), label: "All tools" }} empty="Choose a tool.">
        {name ? <ToolPane name={name} onChanged={tools.reload} /> : null}
      </DetailPane>
    </div>
  );
}

function ToolPane({ name, onChanged }: { name: string; onChanged: () => void }) {
  const tool = useLoad(`tool:${name}`, (signal) => getJson<ToolDetail>(`/tools/${encodeURIComponent(name)}`, signal));
  const calls = useLoad(`calls:${name}`, (signal) => getJson<ToolCalls>(`/tools/${encodeURIComponent(name)}/calls?limit=20`, signal));
  const [shown, setShown] = useState<number | null>(null);
  const [asking, setAsking] = useState<ToolVersion | null>(null);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);

  useBusEvents((event) => {
    if (event.name !== name) return;
    if (event.type === "tool.called") calls.reload();
    if (
      event.type === "tool.created" ||
      event.type === "tool.rolled_back" ||
      event.type === "tool.added" ||
      event.type === "tool.granted" ||
      event.type === "tool.denied" ||
      event.type === "tool.revoked"
    )
      tool.reload();
  });

  if (tool.error)
    return (
      <p role="alert" class="error-text">
        {tool.error}
      </p>
    );
  if (!tool.data) return <p class="muted">Loading {name}…</p>;
  const detail = tool.data;
  const version = detail.versions.find((v) => v.version === (shown ?? detail.active_version)) ?? detail.versions.at(-1);

  async function rollback(target: ToolVersion) {
    setAsking(null);
    try {
      const result = await postJson<{ active_version: number; previous_version: number; warning?: string }>(
        `/tools/${encodeURIComponent(name)}/rollback`,
        {
          version: target.version,
        },
      );
      setNotice({
        ok: true,
        text:
          `${name} is now at v${result.active_version} (was v${result.previous_version}). The agent uses it from its next model call.` +
          (result.warning ? ` Note: ${result.warning}.` : ""),
      });
      setShown(null);
      tool.reload();
      onChanged();
    } catch (error) {
      setNotice({ ok: false, text: `Rollback refused: ${describeError(error)}` });
    }
  }

  const tests = version ? testLine(version.source) : null;
  return (
    <article aria-labelledby="tool-heading">
      <h2 id="tool-heading">
        {detail.name} <span class="badge">active v{detail.active_version}</span>
      </h2>
      <p>{detail.description}</p>
      {notice ? (
        <p role="status" class={notice.ok ? "notice" : "error-text"}>
          {notice.text}
        </p>
      ) : null}
      <details>
        <summary>Input schema</summary>
        <pre>{json(detail.schema)}</pre>
      </details>

      <ToolAccess name={detail.name} access={detail.access ?? []} onChanged={tool.reload} />
      <ToolUses detail={detail} onChanged={tool.reload} />

      <TryTool key={detail.name} name={detail.name} schema={detail.schema} onCalled={calls.reload} />

      <h3>Versions</h3>
      <table class="list versions">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Installed</th>
            <th scope="col">Description</th>
            <th scope="col">Origin</th>
            <th scope="col">sha256</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {[...detail.versions].reverse().map((v) => (
            <tr data-version={v.version} class={v.version === version?.version ? "current" : ""}>
              <td data-label="Version" class="nowrap">
                v{v.version} {v.status === "active" ? <span class="badge status-installed">active</span> : null}
              </td>
              <td data-label="Installed">{formatTime(v.created_at)}</td>
              <td data-label="Description">{v.description}</td>
              <td data-label="Origin">
                <Origin version={v} />
              </td>
              <td data-label="sha256">
                <code>{shortHash(v.sha256)}</code>
              </td>
              <td class="actions">
                <div class="action-buttons">
                  <button type="button" onClick={() => setShown(v.version)} aria-pressed={v.version === version?.version}>
                    Source
                  </button>
                  {v.status !== "active" ? (
                    <button type="button" onClick={() => setAsking(v)}>
                      Roll back to v{v.version}…
                    </button>
                  ) : null}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      {version ? (
        <section aria-labelledby="source-heading">
          <h3 id="source-heading">
            Source of v{version.version}
            {tests ? (
              <>
                {" "}
                ·{" "}
                <a
                  href={`#tool-src-L${tests}`}
                  onClick={(e) => (e.preventDefault(), document.getElementById(`tool-src-L${tests}`)?.scrollIntoView({ block: "center" }))}
                >
                  its tests (line {tests})
                </a>
              </>
            ) : null}
          </h3>
          <CodeView
            code={version.source}
            idPrefix="tool-src"
            label={`Source of ${name} v${version.version}`}
            highlight={tests ? [tests] : []}
          />
        </section>
      ) : null}

      {detail.versions.length > 1 ? (
        <VersionDiff key={`${name}@${detail.active_version}`} name={name} versions={detail.versions} active={detail.active_version} />
      ) : null}

      <section aria-labelledby="calls-heading">
        <h3 id="calls-heading">Calls</h3>
        {calls.error ? <p class="error-text">{calls.error}</p> : null}
        {calls.data ? (
          <>
            <p class="calls-summary">
              {calls.data.calls} call{calls.data.calls === 1 ? "" : "s"}, {calls.data.failures} failure
              {calls.data.failures === 1 ? "" : "s"}
            </p>
            {calls.data.recent.length > 0 ? (
              <table class="list calls">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Version</th>
                    <th scope="col">Took</th>
                    <th scope="col">Arguments</th>
                    <th scope="col">Result or error</th>
                  </tr>
                </thead>
                <tbody>
                  {calls.data.recent.map((call) => (
                    <tr class={call.outcome === "error" ? "failed" : ""} data-outcome={call.outcome}>
                      <td data-label="When">{formatTime(call.at)}</td>
                      <td data-label="Version">{call.version === null ? "—" : `v${call.version}`}</td>
                      <td data-label="Took" class="nowrap">
                        {formatMs(call.duration_ms)}
                      </td>
                      <td data-label="Arguments" class="value">
                        {call.args === null ? <span class="muted">(not recorded)</span> : <code>{call.args}</code>}
                      </td>
                      <td data-label={call.outcome === "ok" ? "Result" : "Error"} class="value">
                        {call.outcome === "ok" ? (
                          call.result === null ? (
                            <span class="muted">ok (result not recorded)</span>
                          ) : (
                            <code>{call.result}</code>
                          )
                        ) : (
                          <span class="error-text">failed: {call.error ?? "no reason recorded"}</span>
                        )}
                        {call.requests?.length ? (
                          <ul class="requests" aria-label="outside requests">
                            {call.requests.map((r) => (
                              <li class={r.refused ? "error-text" : "muted"}>{formatRequest(r)}</li>
                            ))}
                          </ul>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </>
        ) : null}
      </section>

      {asking ? (
        <Confirm
          title={`Roll ${name} back to v${asking.version}?`}
          confirmLabel={`Roll back to v${asking.version}`}
          onConfirm={() => void rollback(asking)}
          onCancel={() => setAsking(null)}
        >
          <p>
            v{detail.active_version} is active now. After this the agent calls v{asking.version} ("{asking.description}") from its next
            model call on. v{detail.active_version} stays in the library, and you can make it active again.
          </p>
        </Confirm>
      ) : null}
    </article>
  );
}

/** Where a version came from, in the words the CLI uses: forged (with its run), added by hand, or imported. */
function Origin({ version }: { version: ToolVersion }) {
  if (version.forge_run_id) return <a href={href("forge", version.forge_run_id)}>forged (the run)</a>;
  return <span>{version.origin === "forged" ? "forged" : version.origin}</span>;
}

/** The changes between two installed versions of a tool, the older chosen first. */
function VersionDiff({ name, versions, active }: { name: string; versions: ToolVersion[]; active: number }) {
  const numbers = versions.map((v) => v.version).sort((a, b) => a - b);
  // The active version and the one before it; for the oldest, it and the one after it.
  const earlier = numbers.filter((n) => n < active).at(-1);
  const [from, setFrom] = useState(earlier ?? active);
  const [to, setTo] = useState(earlier === undefined ? (numbers.find((n) => n > active) ?? active) : active);
  const before = versions.find((v) => v.version === from);
  const after = versions.find((v) => v.version === to);
  return (
    <section aria-labelledby="compare-heading" class="compare">
      <h3 id="compare-heading">Compare versions</h3>
      <div class="compare-pick">
        <label>
          From
          <select value={String(from)} onChange={(e) => setFrom(Number(e.currentTarget.value))}>
            {numbers.map((n) => (
              <option value={String(n)}>v{n}</option>
            ))}
          </select>
        </label>
        <label>
          to
          <select value={String(to)} onChange={(e) => setTo(Number(e.currentTarget.value))}>
            {numbers.map((n) => (
              <option value={String(n)}>v{n}</option>
            ))}
          </select>
        </label>
      </div>
      {before && after ? (
        from === to ? (
          <p class="muted">Choose two different versions.</p>
        ) : (
          <DiffView before={before.source} after={after.source} label={`Changes from ${name} v${from} to v${to}`} />
        )
      ) : null}
    </section>
  );
}
