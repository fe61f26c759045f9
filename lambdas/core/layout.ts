/**
 * Where things live in the staging bucket. Shared by the handlers and the stack, so the Bedrock role's
 * S3 permissions cover exactly the prefixes the gateway writes for it.
 */
export const stagingPrefix = {
  /** Uploaded files: `files/{tenant}/{id}`. */
  files: "files/",
  /** Converted inputs the gateway stages for Bedrock jobs. */
  bedrockInput: "bedrock/input/",
  /** Where Bedrock jobs write their outputs. */
  bedrockOutput: "bedrock/output/",
  /** Converted inputs staged on their way to other upstreams (e.g. Gemini's upload needs the length first). */
  staged: "staged/",
  /** Chunks and parts of uploads in progress (under `staged/`); the bucket expires them after a day. */
  uploads: "staged/uploads/",
} as const;

/**
 * Where a chunk that API Gateway stores straight into the bucket lands: `staged/uploads/{upload}/chunks/{chunk}`.
 * The API's S3 integration builds the same key from the authorizer's `session` and `chunk` (lib/constructs).
 */
export const stagedChunksPrefix = (uploadId: string): string => `${stagingPrefix.uploads}${uploadId}/chunks/`;
export const stagedChunkKey = (uploadId: string, chunk: string): string => `${stagedChunksPrefix(uploadId)}${chunk}`;
/** A chunk's name: its byte offset (or part number), zero-padded so that key order is numeric order. */
export const chunkName = (index: number): string => String(index).padStart(13, "0");
/** The user-metadata name a staged chunk's notes are stored under (`x-amz-meta-finops`, core/chunk-encoding.ts). */
export const chunkMetaName = "finops";
