/** Ollama and every persona's model, from the personas' own capability check. */
import type { Config } from "../../config.js";
import { checkPersonaModels, PERSONAS } from "../../personas/index.js";
import { failed, passed, type DoctorCheck } from "./types.js";

export async function checkModels(config: Config): Promise<DoctorCheck[]> {
  const report = await checkPersonaModels(config, { timeoutMs: 3_000 });
  const ollama = report.ollama.reachable
    ? passed("Ollama", `${report.ollama.version ?? "version unknown"} at ${report.ollama.host}`)
    : failed("Ollama", `not reachable at ${report.ollama.host}: ${report.ollama.error ?? "no answer"}`, report.ollama.fix ?? "start it with `ollama serve`");
  const personas = report.personas.map((p): DoctorCheck => {
    const name = `${PERSONAS[p.persona].title} model`;
    if (p.ok) {
      const tools = p.toolsRequired ? (p.supportsTools ? ", supports tools" : " (tool support not verified)") : "";
      return passed(name, `${p.model}${tools}${p.note ? ` — ${p.note}` : ""}`);
    }
    // When Ollama is down its own line carries the fix; repeating it under every persona is noise.
    const fix = !report.ollama.reachable && p.fix === report.ollama.fix ? undefined : (p.fix ?? undefined);
    return failed(name, `${p.variable}=${p.model}: ${p.problem ?? "not usable"}`, fix);
  });
  return [ollama, ...personas];
}
