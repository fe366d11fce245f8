/** What genesis did, step by step: each step says what it did or why it skipped. */

export type StepStatus = "created" | "updated" | "exists" | "skipped" | "failed";

export interface GenesisStep {
  /** What the step is about, e.g. "store", "object system", "sandbox image", "model toolforge-brick". */
  name: string;
  status: StepStatus;
  detail: string;
}

export interface GenesisReport {
  steps: GenesisStep[];
  /** False when any step failed (skipped steps are not failures: they say what to do). */
  ok: boolean;
}

export type GenesisLog = (line: string) => void;

/** Collects steps and prints each as it happens. */
export class StepRecorder {
  readonly steps: GenesisStep[] = [];

  constructor(private readonly log: GenesisLog) {}

  add(name: string, status: StepStatus, detail: string): GenesisStep {
    const step = { name, status, detail };
    this.steps.push(step);
    this.log(formatStep(step));
    return step;
  }

  report(): GenesisReport {
    return { steps: this.steps, ok: this.steps.every((step) => step.status !== "failed") };
  }
}

export function formatStep(step: GenesisStep): string {
  return `${step.status.padEnd(7)}  ${step.name}: ${step.detail}`;
}
