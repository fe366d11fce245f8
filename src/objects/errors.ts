/**
 * Errors of the object space. Each is a ToolForgeError with a stable code, so the HTTP layer and the
 * CLI map them without knowing the object space's internals.
 */
import { NotFoundError, ToolForgeError } from "../errors.js";

/** The target of a message does not exist. The message says "no such object …". */
export class NoSuchObjectError extends NotFoundError {
  readonly objectId: string;

  constructor(objectId: string) {
    super(`no such object "${objectId}"`, "create it with POST /objects (or run `toolforge genesis` for system and nil)");
    this.objectId = objectId;
  }
}

/** doesNotUnderstand could not teach the object the method: the forge refused every attempt. */
export class MethodNotLearnedError extends ToolForgeError {
  readonly objectId: string;
  readonly selector: string;
  /** The forge run that was refused, when there was one. */
  readonly forgeRunId: string | null;

  constructor(objectId: string, selector: string, reason: string, forgeRunId: string | null = null) {
    super("method_not_learned", `"${objectId}" could not learn "${selector}": ${reason}`);
    this.objectId = objectId;
    this.selector = selector;
    this.forgeRunId = forgeRunId;
  }
}

/** The method ran in the sandbox and did not succeed (threw, timed out, ran out of memory, …). */
export class MethodFailedError extends ToolForgeError {
  readonly objectId: string;
  readonly selector: string;

  constructor(objectId: string, selector: string, reason: string) {
    super("method_failed", `${objectId}.${selector} failed: ${reason}`);
    this.objectId = objectId;
    this.selector = selector;
  }
}

/** Another process kept changing the object between our read and our write, past the retry bound. */
export class ObjectContendedError extends ToolForgeError {
  constructor(objectId: string, selector: string, attempts: number) {
    super("object_contended", `${objectId}.${selector} could not be applied: the object changed underneath it ${attempts} times in a row`, {
      hint: "another process is writing this object continuously; send the message again",
    });
  }
}
