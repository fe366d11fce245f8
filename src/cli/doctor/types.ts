/** One line of `toolforge doctor`: what was checked, whether it is fine, and how to fix it. */
export interface DoctorCheck {
  /** Short name: "Node.js", "Docker", "runsc", "sandbox image", "store", "Ollama", "BRICK model", … */
  name: string;
  ok: boolean;
  /** A failed essential check makes doctor exit 1; a non-essential one is a warning. */
  essential: boolean;
  /** What was found (version, location) or what is wrong. */
  detail: string;
  /** For a failed check: the command or setting that fixes it. */
  fix?: string;
}

export function passed(name: string, detail: string): DoctorCheck {
  return { name, ok: true, essential: true, detail };
}

export function failed(name: string, detail: string, fix: string | undefined, essential = true): DoctorCheck {
  return fix === undefined ? { name, ok: false, essential, detail } : { name, ok: false, essential, detail, fix };
}
