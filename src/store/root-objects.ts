/**
 * The root objects every store has from its first open: the store's own set-up makes them (SQLite
 * migration 2, ArangoDB schema version 2), empty and without prototypes. Those migrations keep
 * their own frozen copy of this list, as migrations must; a test checks that they agree.
 */
export const ROOT_OBJECT_IDS = ["nil", "system"] as const;
