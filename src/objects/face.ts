/**
 * The TypeScript face of an object: `const system = await objects.get("system");
 * await system.greet("Ada")`. Every property read that is not one of the `$` helpers is a selector;
 * calling it sends the message (positional arguments; use `$send` for kwargs). `then` is never a
 * selector, so a face can be awaited and returned from async functions like any other value.
 */
import type { JsonObject, JsonValue } from "../store/types.js";

export type MethodFunction = (...args: JsonValue[]) => Promise<JsonValue>;

export interface ObjectHandle {
  readonly $id: string;
  /** Sends `selector` with positional `args` and keyword `kwargs`; resolves to the method's result. */
  $send(selector: string, args?: JsonValue[], kwargs?: JsonObject): Promise<JsonValue>;
  /** The object's attributes as stored now (a copy). */
  $attributes(): Promise<JsonObject>;
  /** Not a selector: keeps the face from looking like a promise. */
  readonly then?: undefined;
}

/**
 * Any selector, when the caller declares no interface. Its values are `any` on purpose: under
 * `noUncheckedIndexedAccess` a typed index signature would make every `face.greet(…)` need a `!`.
 * Declare the methods for checked calls: `objects.get<{ greet(who: string): Promise<string> }>("system")`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: a face without an interface takes any selector
export type DynamicMethods = { readonly [selector: string]: any };

export type ObjectFace<M extends object = DynamicMethods> = ObjectHandle & M;

export interface FaceTarget {
  send(id: string, selector: string, args: JsonValue[], kwargs: JsonObject): Promise<JsonValue>;
  attributes(id: string): Promise<JsonObject>;
}

/** Property names that tooling probes on any value; they are never sent as messages. */
const NOT_SELECTORS = new Set(["then", "catch", "finally", "toJSON", "constructor", "inspect", "asymmetricMatch", "$$typeof", "nodeType"]);

export function objectFace<M extends object = DynamicMethods>(id: string, target: FaceTarget): ObjectFace<M> {
  const handle: Omit<ObjectHandle, "then"> = {
    $id: id,
    $send: (selector, args = [], kwargs = {}) => target.send(id, selector, args, kwargs),
    $attributes: () => target.attributes(id),
  };
  return new Proxy(handle, {
    get(base, property) {
      if (typeof property === "symbol") return property === Symbol.toStringTag ? `ObjectFace(${id})` : undefined;
      if (property in base) return base[property as keyof typeof base];
      if (NOT_SELECTORS.has(property)) return undefined;
      return (...args: JsonValue[]) => target.send(id, property, args, {});
    },
    has(base, property) {
      return property in base;
    },
    set() {
      return false;
    },
  }) as unknown as ObjectFace<M>;
}
