// The rooms of src/ in layers, from the bottom up; drawn and explained in docs/architecture.md.
/** The rooms of src/, from the bottom up: a room imports only rooms of a lower layer (docs/architecture.md). */
export const ROOM_LAYERS = [
  ["contract", "errors", "diagnostics", "util"],
  ["config", "events"],
  ["sandbox", "store"],
  ["egress"],
  ["tools"],
  ["admission"],
  ["archive", "personas"],
  ["forge"],
  ["objects"],
  ["runtime"],
  ["graph"],
  ["service"],
  ["mcp"],
  ["server"],
  ["dataset", "genesis"],
  ["cli"],
  ["index"],
];
