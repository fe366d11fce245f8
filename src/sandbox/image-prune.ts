/**
 * Removes the sandbox images this install built and no longer uses: every image in the repository
 * labelled with this install's id (image.ts INSTALL_LABEL) but the one in use now. Images of other
 * installs sharing the engine carry another id (and other tags) and are never touched; an image a
 * container still uses (running or stopped) is refused by the engine and kept for a later start.
 * Nothing is forced.
 */
import type Docker from "dockerode";
import { errorMessage } from "../errors.js";
import { statusOf } from "./docker-errors.js";
import { IMAGE_REPOSITORY, INSTALL_LABEL, installId } from "./image.js";

export interface PruneOutcome {
  /** The tags removed (an image goes with its last tag), and the ids of untagged images removed. */
  removed: string[];
  /** Tags kept because a container still uses their image. */
  inUse: string[];
}

export async function pruneSandboxImages(
  docker: Docker,
  options: { keep: string; repository?: string; install?: string },
): Promise<PruneOutcome> {
  const repository = options.repository ?? IMAGE_REPOSITORY;
  const install = options.install ?? installId();
  const images = await docker.listImages({ filters: { label: [`${INSTALL_LABEL}=${install}`] } });
  const outcome: PruneOutcome = { removed: [], inUse: [] };
  for (const image of images) {
    const allTags = (image.RepoTags ?? []).filter((tag) => tag !== "<none>:<none>");
    const tags = allTags.filter((tag) => tag.startsWith(`${repository}:`));
    if (tags.includes(options.keep)) continue;
    // An image left without any tag (two builds of one tag at once: the engine keeps the last) goes by its id.
    const references = allTags.length === 0 ? [image.Id] : tags;
    for (const reference of references) {
      try {
        await docker.getImage(reference).remove();
        outcome.removed.push(reference);
      } catch (error) {
        if (statusOf(error) === 409) outcome.inUse.push(reference);
        else if (statusOf(error) !== 404)
          throw new Error(`could not remove the old sandbox image ${reference}: ${errorMessage(error)}`, { cause: error });
      }
    }
  }
  return outcome;
}
