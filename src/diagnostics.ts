/**
 * Diagnostics: what went wrong in the background that nobody asked about but an operator should
 * see — a lease that could not be renewed, a mirror file not written, a container that would not
 * die, a tool that cannot be bound. One channel for every part: each part is handed a
 * `Diagnostics` (the runtime's), the server sends what arrives to its structured log, the CLI to
 * stderr. A channel nobody listens to hands each diagnostic to `process.emitWarning`, so nothing
 * is ever swallowed. A leaf module: it imports nothing from the project.
 */

/** Which part of ToolForge a diagnostic comes from. */
export type DiagnosticSource = "sandbox" | "store" | "tools" | "forge" | "objects" | "models" | "mcp" | "runtime" | "events" | "genesis";

export interface Diagnostic {
  source: DiagnosticSource;
  message: string;
  /** Structured fields for the log (a tool's name, a container id, …). */
  details?: Record<string, unknown>;
}

export interface Diagnostics {
  warn(source: DiagnosticSource, message: string, details?: Record<string, unknown>): void;
}

export type DiagnosticListener = (diagnostic: Diagnostic) => void;

export class DiagnosticsChannel implements Diagnostics {
  private readonly listeners = new Set<DiagnosticListener>();

  warn(source: DiagnosticSource, message: string, details?: Record<string, unknown>): void {
    const diagnostic: Diagnostic = { source, message, ...(details ? { details } : {}) };
    if (this.listeners.size === 0) {
      process.emitWarning(message, warningName(source));
      return;
    }
    for (const listener of this.listeners) {
      try {
        listener(diagnostic);
      } catch (error) {
        // A listener that fails must not take the diagnostic, or the part that warned, down with it.
        process.emitWarning(`a diagnostics listener failed (${String(error)}) on: ${message}`, warningName(source));
      }
    }
  }

  /** Receives every diagnostic from now on (instead of process warnings); returns the unsubscribe. */
  subscribe(listener: DiagnosticListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Diagnostics for a part used on its own (no runtime): process warnings. */
export const processDiagnostics: Diagnostics = new DiagnosticsChannel();

function warningName(source: DiagnosticSource): string {
  return `ToolForge${source.charAt(0).toUpperCase()}${source.slice(1)}Warning`;
}
