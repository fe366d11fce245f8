/** Ollama and every configured model (the four personas' and FORGE_MODEL), from the personas' own capability check. */
import type { Config } from "../../config.js";
import { checkPersonaModels } from "../../personas/index.js";
import { failed, passed, type DoctorCheck } from "./types.js";

export async function checkModels(config: Config): Promise<DoctorCheck[]> {
  const report = await checkPersonaModels(config, { timeoutMs: 3_000 });
  const ollama = report.ollama.reachable
    ? passed("Ollama", `${report.ollama.version ?? "version unknown"} at ${report.ollama.host}`)
    : failed(
        "Ollama",
        `not reachable at ${report.ollama.host}: ${report.ollama.error ?? "no answer"}`,
        report.ollama.fix ?? "start it with `ollama serve`",
      );
  const personas = report.personas.map((p): DoctorCheck => {
    const name = p.persona === "forge" ? "forge model" : `${p.title} model`;
    if (p.ok) {
      const tools = p.toolsRequired ? (p.supportsTools ? ", supports tools" : " (tool support not verified)") : "";
      const context = p.numCtx
        ? `, context ${p.numCtx}${p.contextLength && p.contextLength !== p.numCtx ? ` of ${p.contextLength}` : ""} tokens`
        : "";
      return passed(name, `${p.model}${tools}${context}${p.note ? ` — ${p.note}` : ""}`);
    }
    // When Ollama is down its own line carries the fix; repeating it under every persona is noise.
    const fix = !report.ollama.reachable && p.fix === report.ollama.fix ? undefined : (p.fix ?? undefined);
    return failed(name, `${p.variable}=${p.model}: ${p.problem ?? "not usable"}`, fix, p.essential);
  });
  return [ollama, ...personas];
}
