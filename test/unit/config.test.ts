import { describe, expect, it } from "vitest";
import { loadConfig, PROJECT_ROOT } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import path from "node:path";

describe("configuration", () => {
  it("works on a laptop with no variables set", () => {
    const config = loadConfig({});
    expect(config.ollamaHost).toBe("http://127.0.0.1:11434");
    expect(config.sandbox).toMatchObject({ runtime: "runsc", timeoutMs: 10_000, memoryMb: 256, cpus: 0.5, poolSize: 2 });
    expect(config.forgeMaxAttempts).toBe(3);
    expect(config.server).toEqual({ host: "127.0.0.1", port: 8000, apiKey: undefined });
    expect(config.dynamicToolsDir).toBe(path.join(PROJECT_ROOT, "dynamic_tools"));
    expect(config.dataDir).toBe(path.join(PROJECT_ROOT, "data"));
    expect(config.arango).toBeNull();
  });

  it("lets the forge model default to ALFRED's", () => {
    expect(loadConfig({ ALFRED_MODEL: "qwen2:7b" }).models.forge).toBe("qwen2:7b");
    expect(loadConfig({ ALFRED_MODEL: "qwen2:7b", FORGE_MODEL: "coder:1" }).models.forge).toBe("coder:1");
  });

  it("switches to ArangoDB mode when ARANGO_URL is set", () => {
    const config = loadConfig({ ARANGO_URL: "http://db:8529", ARANGO_PASS: "s3cret" });
    expect(config.arango).toEqual({ url: "http://db:8529", database: "toolforge", user: "root", password: "s3cret" });
  });

  it("refuses a bad value naming the variable, the value and the accepted form", () => {
    expect(() => loadConfig({ SANDBOX_MEMORY_MB: "lots" })).toThrow(ConfigError);
    expect(() => loadConfig({ SANDBOX_MEMORY_MB: "lots" })).toThrow(/SANDBOX_MEMORY_MB="lots".*megabytes, from 32 to 16384/);
    expect(() => loadConfig({ SANDBOX_RUNTIME: "docker" })).toThrow(/SANDBOX_RUNTIME="docker".*runsc/);
    expect(() => loadConfig({ OLLAMA_HOST: "localhost:11434" })).toThrow(/OLLAMA_HOST="localhost:11434".*http\(s\) URL/);
  });

  it("reports every bad variable at once", () => {
    try {
      loadConfig({ PORT: "-1", FORGE_MAX_ATTEMPTS: "0" });
      expect.unreachable("loadConfig accepted bad values");
    } catch (error) {
      expect(String(error)).toMatch(/PORT="-1"/);
      expect(String(error)).toMatch(/FORGE_MAX_ATTEMPTS="0"/);
    }
  });
});
