/**
 * Pruning old sandbox images removes only what this install built and no longer uses. The test
 * makes its own tiny images in a repository of its own (never the shared `toolforge-sandbox:*`
 * tags, which other checkouts on this engine are using) and removes everything it made.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { create as createTar } from "tar";
import { afterAll, beforeAll, expect, it } from "vitest";
import { INSTALL_LABEL } from "../../src/sandbox/image.js";
import { pruneSandboxImages } from "../../src/sandbox/image-prune.js";
import { describeSandbox } from "../support/sandbox.js";

const docker = new Docker();
const repository = `toolforge-prune-test-${randomBytes(4).toString("hex")}`;
const mine = `install-${randomBytes(4).toString("hex")}`;
const theirs = `install-${randomBytes(4).toString("hex")}`;
let stage: string;
let containerId: string | undefined;

/** A one-file image `repository:tag` labelled as built by `install`. */
async function tinyImage(tag: string, install: string): Promise<string> {
  const archive = createTar({ cwd: stage }, ["marker"]);
  const progress = await docker.importImage(archive as unknown as NodeJS.ReadableStream, {
    repo: repository,
    tag,
    changes: [`LABEL ${INSTALL_LABEL}=${install}`, `LABEL toolforge.test=${tag}`],
  });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(progress, (error: Error | null) => (error ? reject(error) : resolve())),
  );
  return `${repository}:${tag}`;
}

async function present(reference: string): Promise<boolean> {
  try {
    await docker.getImage(reference).inspect();
    return true;
  } catch {
    return false;
  }
}

describeSandbox(
  "pruning old sandbox images",
  () => {
    beforeAll(() => {
      stage = mkdtempSync(path.join(os.tmpdir(), "toolforge-prune-"));
      writeFileSync(path.join(stage, "marker"), "x");
    });

    afterAll(async () => {
      if (containerId)
        await docker
          .getContainer(containerId)
          .remove({ force: true })
          .catch(() => undefined);
      // Everything this test made carries one of its two random install ids: tagged or not, it goes.
      const leftovers = await docker.listImages({ filters: { label: [`${INSTALL_LABEL}=${mine}`] } });
      leftovers.push(...(await docker.listImages({ filters: { label: [`${INSTALL_LABEL}=${theirs}`] } })));
      for (const image of leftovers) {
        for (const tag of (image.RepoTags ?? []).filter((t) => t.startsWith(`${repository}:`)))
          await docker
            .getImage(tag)
            .remove()
            .catch(() => undefined);
        await docker
          .getImage(image.Id)
          .remove()
          .catch(() => undefined);
      }
      rmSync(stage, { recursive: true, force: true });
    });

    it("removes this install's unused old images (untagged ones too) and keeps the current one, one in use, and another install's", async () => {
      const old = await tinyImage("old", mine);
      // Two builds of one tag: the engine keeps the last; the first is left without a tag.
      await tinyImage("twice", mine);
      const untagged = (await docker.getImage(`${repository}:twice`).inspect()).Id;
      await tinyImage("twice", mine);
      expect((await docker.getImage(untagged).inspect()).RepoTags).toEqual([]);
      const used = await tinyImage("used", mine);
      const current = await tinyImage("current", mine);
      const others = await tinyImage("others", theirs);
      containerId = (await docker.createContainer({ Image: used, Cmd: ["/nothing"], Labels: { "toolforge.test": repository } })).id;

      const outcome = await pruneSandboxImages(docker, { keep: current, repository, install: mine });

      expect(outcome.removed.sort()).toEqual([old, `${repository}:twice`, untagged].sort());
      expect(outcome.inUse).toEqual([used]);
      expect(await present(old)).toBe(false);
      expect(await present(untagged)).toBe(false);
      for (const kept of [used, current, others]) expect(await present(kept)).toBe(true);
    });
  },
  { sandbox: { poolSize: 0 } },
);
