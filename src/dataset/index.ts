/** The fine-tuning dataset: forge results and persona turns as chat-format JSONL. */
export { exportDataset, collectExamples, defaultDatasetFile, type DatasetExport, type DatasetExportOptions } from "./export.js";
export type { ChatExample, ChatMessage } from "./chat-format.js";
