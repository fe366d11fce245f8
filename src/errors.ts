/**
 * Typed errors with a message a user can act on. `hint` says what to do about it; `code` is a
 * stable identifier that callers (HTTP routes, the CLI) map to statuses and exit codes.
 */
export class ToolForgeError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message}\n  → ${options.hint}` : message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** A setting in the environment or `.env` has a value we cannot use. */
export class ConfigError extends ToolForgeError {
  constructor(message: string) {
    super("config_invalid", message);
  }
}

/** Docker, runsc or the sandbox image is missing or misconfigured. */
export class SandboxUnavailableError extends ToolForgeError {
  constructor(message: string, hint: string, cause?: unknown) {
    super("sandbox_unavailable", message, { hint, cause });
  }
}

/**
 * The sandbox runs as many jobs as the machine allows (SANDBOX_MAX_CONTAINERS) and lets a bounded
 * number wait (SANDBOX_QUEUE_LIMIT, each at most SANDBOX_QUEUE_TIMEOUT_MS): this job found the queue
 * full, or waited its longest. Nothing of it ran. Try again after `retryAfterSeconds`.
 */
export class SandboxBusyError extends ToolForgeError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super("sandbox_busy", message, {
      hint: `retry in about ${seconds} s; if this happens often, raise SANDBOX_MAX_CONTAINERS (the machine permitting) or SANDBOX_QUEUE_LIMIT`,
    });
    this.retryAfterSeconds = seconds;
  }
}

/** The store cannot be opened or used (file corrupt or unwritable, server unreachable, bad credentials). */
export class StoreUnavailableError extends ToolForgeError {
  constructor(message: string, hint: string, cause?: unknown) {
    super("store_unavailable", message, { hint, cause });
  }
}

/** An optimistic update carried a revision that is no longer current; re-read and retry. */
export class RevisionConflictError extends ToolForgeError {
  readonly objectId: string;
  readonly expectedRevision: number;
  readonly actualRevision: number | null;

  constructor(objectId: string, expectedRevision: number, actualRevision: number | null) {
    super(
      "revision_conflict",
      `object "${objectId}" changed underneath this update: expected revision ${expectedRevision}, ` +
        `found ${actualRevision ?? "none (deleted)"}`,
      { hint: "re-read the object and apply the change again" },
    );
    this.objectId = objectId;
    this.expectedRevision = expectedRevision;
    this.actualRevision = actualRevision;
  }
}

/** Something asked for by name does not exist (tool, version, object, message). */
export class NotFoundError extends ToolForgeError {
  constructor(what: string, hint?: string) {
    super("not_found", what, hint ? { hint } : {});
  }
}

/** Ollama is not reachable, or a model is missing or cannot do what its persona needs. */
export class ModelUnavailableError extends ToolForgeError {
  constructor(message: string, hint: string, cause?: unknown, code = "model_unavailable") {
    super(code, message, { hint, cause });
  }
}

/** Nothing answers at OLLAMA_HOST (connection refused, host unknown, timed out). */
export class OllamaUnreachableError extends ModelUnavailableError {
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, hint, cause, "ollama_unreachable");
  }
}

/** Ollama answers, but the model is not pulled. */
export class ModelMissingError extends ModelUnavailableError {
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, hint, cause, "model_missing");
  }
}

/** Ollama refuses tools for this model (it lacks the "tools" capability). */
export class ModelWithoutToolsError extends ModelUnavailableError {
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, hint, cause, "model_without_tools");
  }
}

/**
 * Ollama answered the request with a server error (HTTP 5xx) before any reply: the model could
 * not be loaded or run (too little memory, a runner that crashed). `status` is Ollama's.
 */
export class OllamaServerError extends ModelUnavailableError {
  readonly status: number;

  constructor(status: number, message: string, hint: string, cause?: unknown) {
    super(message, hint, cause, "ollama_server_error");
    this.status = status;
  }
}

/**
 * Ollama is up and the model answered, but the reply cannot be used: the stream ended before
 * Ollama said it was done ("interrupted": the connection broke, the runner crashed), or the
 * answer was empty ("empty"). Raised after the one retry such a reply gets.
 */
export class ModelReplyError extends ToolForgeError {
  readonly kind: "interrupted" | "empty";

  constructor(kind: "interrupted" | "empty", message: string, hint: string, cause?: unknown) {
    super(kind === "interrupted" ? "model_stream_interrupted" : "model_empty_reply", message, { hint, cause });
    this.kind = kind;
  }
}

/** Input from a user or a model that does not have the expected shape. */
export class InvalidInputError extends ToolForgeError {
  constructor(message: string, hint?: string) {
    super("invalid_input", message, hint ? { hint } : {});
  }
}

/** The message of anything thrown: an Error's message, or the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
