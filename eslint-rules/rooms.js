// The rooms of src/ depend one way. A room is a folder of src/ (or a file at its top, like
// runtime.ts); `layers` lists them from the bottom up, and a room may import only rooms of a lower
// layer — never one beside or above it, type-only imports included. So no room can import a room
// that imports it back. When two rooms need each other, the shared part becomes a room of its own
// below both. The layers are drawn in docs/architecture.md.
import path from "node:path";

/** The room of a file under `srcDir`, or null for a file outside it. */
function roomOf(file, srcDir) {
  const relative = path.relative(srcDir, file);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return null;
  const [first, ...rest] = relative.split(path.sep);
  return rest.length === 0 ? first.replace(/\.[cm]?[jt]sx?$/, "") : first;
}

const oneDirection = {
  meta: {
    type: "problem",
    docs: { description: "A room of src/ imports only rooms of a lower layer (docs/architecture.md)." },
    schema: [
      {
        type: "object",
        properties: { srcDir: { type: "string" }, layers: { type: "array", items: { type: "array", items: { type: "string" } } } },
        required: ["srcDir", "layers"],
        additionalProperties: false,
      },
    ],
    messages: {
      upward:
        'The room "{{from}}" (layer {{fromLayer}}) imports "{{specifier}}" from the room "{{to}}" (layer {{toLayer}}): a room imports only rooms of a lower layer. ' +
        "Move what both need into a room below them, or, if the layers are wrong, change them in eslint.config.js and docs/architecture.md.",
      unknown: 'The room "{{room}}" is not in the layers of eslint.config.js: add it where it belongs (and to docs/architecture.md).',
    },
  },
  create(context) {
    const { srcDir, layers } = context.options[0];
    const src = path.resolve(context.cwd, srcDir);
    const layerOf = new Map(layers.flatMap((rooms, i) => rooms.map((room) => [room, i])));
    const file = context.filename;
    const from = roomOf(file, src);
    if (from === null) return {};
    const check = (node, specifier) => {
      if (typeof specifier !== "string" || !specifier.startsWith(".")) return;
      const to = roomOf(path.resolve(path.dirname(file), specifier), src);
      if (to === null || to === from) return;
      for (const room of [from, to]) {
        if (!layerOf.has(room)) return context.report({ node, messageId: "unknown", data: { room } });
      }
      if (layerOf.get(to) < layerOf.get(from)) return;
      context.report({
        node,
        messageId: "upward",
        data: { from, to, specifier, fromLayer: layerOf.get(from), toLayer: layerOf.get(to) },
      });
    };
    const fromSource = (node) => node.source && check(node.source, node.source.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => node.source.type === "Literal" && check(node.source, node.source.value),
      TSImportType: (node) => {
        const literal = node.argument?.literal ?? node.argument;
        if (literal?.type === "Literal") check(node, literal.value);
      },
    };
  },
};

export default { rules: { "one-direction": oneDirection } };
