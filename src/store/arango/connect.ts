/** Connects to ArangoDB and makes sure the store's database exists. */
import { Database } from "arangojs";
import type { ArangoSettings } from "./errors.js";
import { rethrowArangoFailure } from "./errors.js";

function databaseHandle(settings: ArangoSettings, databaseName = settings.database): Database {
  return new Database({
    url: settings.url,
    databaseName,
    auth: { username: settings.user, password: settings.password },
  });
}

/** The store's database, created when missing. Failures name the URL, user and database. */
export async function connectDatabase(settings: ArangoSettings): Promise<Database> {
  const db = databaseHandle(settings);
  try {
    if (!(await db.exists())) {
      const system = databaseHandle(settings, "_system");
      try {
        await system.createDatabase(settings.database);
      } catch (error) {
        // Another process may have created it at the same moment.
        if (!(await db.exists())) throw error;
      } finally {
        system.close();
      }
    }
    return db;
  } catch (error) {
    db.close();
    rethrowArangoFailure(error, settings);
  }
}
