/**
 * The forge's face to the rest of ToolForge: the graph's tool_forge node and the objects'
 * doesNotUnderstand both come here. Implementation in ./forge.ts.
 */
import type { ModelCallUsage } from "../personas/usage.js";
import type { JsonObject, JsonValue } from "../store/types.js";

export interface ToolForgeRequest {
  /** What the tool must do, as BRICK (or a user) wrote it after `TOOL_REQUIRED:`. */
  spec: string;
  /** The snake_case name the spec asks for, when it names one (else parsed from the spec, or the model picks). */
  name?: string;
  /** Forge version n+1 of an existing tool instead of reusing it. */
  improve?: boolean;
  signal?: AbortSignal;
}

export interface MethodForgeRequest {
  objectId: string;
  selector: string;
  /** What the method should do; defaults to a spec derived from the selector and the example call. */
  spec?: string;
  /** The receiver's attributes (a copy), for the prompt and the dry run. */
  receiver: JsonObject;
  /** The message that triggered doesNotUnderstand, for the dry run (omit to skip it). */
  example?: { args: JsonValue[]; kwargs: JsonObject };
  signal?: AbortSignal;
}

export type ForgeOutcome = (
  | { status: "installed"; runId: string; name: string; version: number; attempts: number }
  | { status: "reused"; runId: string; name: string; version: number; attempts: 0 }
  | { status: "failed"; runId: string; reason: string; attempts: number }
) & {
  /** The forge model's calls in this run (none for a reuse): tokens evaluated and generated, Ollama's time. */
  usage?: ModelCallUsage[];
};

export interface Forge {
  forgeTool(request: ToolForgeRequest): Promise<ForgeOutcome>;
  forgeMethod(request: MethodForgeRequest): Promise<ForgeOutcome>;
}
