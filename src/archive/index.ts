/** Chronicles: archives of the store and the dynamic tools, with a verified restore. */
export { createArchive, archivesDir, ARCHIVE_SUFFIX, type CreatedArchive } from "./create.js";
export { listArchives, readManifestFromArchive, type ArchiveListing } from "./list.js";
export { restoreArchive, type RestoredArchive } from "./restore.js";
export { TamperedArchiveError, type ChronicleManifest } from "./manifest.js";
