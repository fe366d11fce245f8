/**
 * What a tool builds on and what builds on it, on the tool's page: the library tools its active
 * version uses (each at its pinned version, with "Update" to move it to their active versions if
 * its test passes: POST /tools/:name/update), and the tools that use it (each pinned to one of its
 * versions). A tool that uses none and is used by none shows nothing.
 */
import { useState } from "preact/hooks";
import { describeError, postJson } from "../api.js";
import { href } from "../hooks.js";
import type { ToolDetail } from "../types.js";

interface UpdateAnswer {
  status: "current" | "updated" | "refused";
  version: number;
  from?: number;
  moved: { name: string; from: number; to: number }[];
  reason?: string;
}

export function ToolUses(props: { detail: ToolDetail; onChanged: () => void }) {
  const { detail } = props;
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  if (detail.uses.length === 0 && detail.used_by.length === 0) return null;

  async function update() {
    setBusy(true);
    setNotice(null);
    try {
      const answer = await postJson<UpdateAnswer>(`/tools/${encodeURIComponent(detail.name)}/update`, {});
      const moves = answer.moved.map((m) => `${m.name} v${m.from} → v${m.to}`).join(", ");
      setNotice(
        answer.status === "current"
          ? { ok: true, text: "It already uses the active version of every tool it builds on." }
          : answer.status === "updated"
            ? { ok: true, text: `Now v${answer.version}, on ${moves}: its test passed.` }
            : { ok: false, text: `It stays at v${answer.version}: against ${moves} ${answer.reason ?? "it was refused"}` },
      );
      if (answer.status === "updated") props.onChanged();
    } catch (error) {
      setNotice({ ok: false, text: `Update refused: ${describeError(error)}` });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="uses-heading">
      <h3 id="uses-heading">Builds on</h3>
      {detail.uses.length ? (
        <>
          <p>
            Uses {detail.uses.map((u, i) => [i ? ", " : "", <a href={href("library", u.name)}>{u.name}</a>, ` v${u.version}`])}, each at the
            version its test passed with. A new version of one of them changes nothing here until this tool is updated.
          </p>
          <button type="button" disabled={busy} onClick={() => void update()}>
            Update to their active versions
          </button>
        </>
      ) : null}
      {detail.used_by.length ? (
        <p>
          Used by{" "}
          {detail.used_by.map((d, i) => [
            i ? ", " : "",
            <a href={href("library", d.name)}>{d.name}</a>,
            ` v${d.version} (pinned to v${d.pinned})`,
          ])}
          .
        </p>
      ) : null}
      {notice ? (
        <p role="status" class={notice.ok ? "notice" : "error-text"}>
          {notice.text}
        </p>
      ) : null}
    </section>
  );
}
