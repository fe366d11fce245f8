/**
 * Loading a forged tool version for calls: rebuild its mirror files where missing or different
 * (the store is the truth), compile its schema, then `import()` its generated loader with a URL
 * that carries the version and sha256, so a new version is a new module and never a cached old
 * one. The loader only hands jobs to the sandbox: forged code never runs in this process.
 */
import { pathToFileURL } from "node:url";
import type { ToolPin, ToolVersion } from "../store/types.js";
import type { ToolClosure } from "./dependencies.js";
import { compileArgsSchema, type ArgsCheck } from "./args.js";
import type { LoaderModule } from "./loader-template.js";
import type { ToolMirror } from "./mirror.js";
import type { RegisteredTool } from "./types.js";

export interface ForgedEntry {
  origin: "forged";
  tool: RegisteredTool;
  check: ArgsCheck;
  sha256: string;
  loader: LoaderModule;
  /** The library tools the version uses, pinned. */
  uses: ToolPin[];
  /** Those versions as a job needs them, once first read (they never change). */
  closure?: ToolClosure;
}

export async function loadForgedTool(mirror: ToolMirror, version: ToolVersion): Promise<ForgedEntry> {
  await mirror.ensure(version);
  const check = compileArgsSchema(version.toolName, version.schema);
  const loader = await importLoader(mirror.paths(version.toolName, version.version).loader, version);
  return {
    origin: "forged",
    tool: {
      name: version.toolName,
      version: version.version,
      description: version.description,
      schema: version.schema,
      origin: "forged",
      hosts: version.hosts,
      uses: version.uses,
    },
    check,
    sha256: version.sha256,
    loader,
    uses: version.uses,
  };
}

/** Imports a generated loader; the query makes each (version, sha256) its own module instance. */
async function importLoader(file: string, version: ToolVersion): Promise<LoaderModule> {
  const url = `${pathToFileURL(file).href}?v=${version.version}-${version.sha256.slice(0, 16)}`;
  const loaded = (await import(/* @vite-ignore */ url)) as LoaderModule;
  if (loaded.name !== version.toolName || loaded.version !== version.version || loaded.sha256 !== version.sha256) {
    throw new Error(`loader ${file} does not describe ${version.toolName} v${version.version} as the store does`);
  }
  return loaded;
}
