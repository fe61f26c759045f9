import { BadRequestError, NotFoundError, PayloadTooLargeError } from "./errors";
import { createFile, type FileDeps, isBatchInput } from "./files";
import { newId } from "./ids";
import { stagingPrefix } from "./layout";
import type { Dialect, FileRecord, Provider, UploadRecord } from "./model";

/**
 * The largest file a resumable upload takes. The SDKs send chunks of up to 8 MiB, and a chunk must fit in one
 * Lambda invocation (6 MiB of event, base64-encoded), so the gateway takes files up to 4 MiB — one chunk —
 * and refuses larger ones at `start`, before any byte is sent (README "Limits").
 */
export const maxResumableUploadBytes = 4 * 1024 * 1024;

const sessionTtlMs = 24 * 3_600_000;
const chunkKey = (upload: UploadRecord, offset: number) =>
  `${stagingPrefix.staged}uploads/${upload.id}/${String(offset).padStart(12, "0")}`;

/** Opens an upload session for `size` bytes; its id is the credential of the chunk requests. */
export const startUpload = async (
  deps: FileDeps,
  input: { tenant: string; dialect: Dialect; provider: Provider; size: number; mimeType: string; displayName?: string },
): Promise<UploadRecord> => {
  if (!Number.isInteger(input.size) || input.size < 0)
    throw new BadRequestError("The announced upload size must be a whole number of bytes.");
  if (input.size > maxResumableUploadBytes) {
    throw new PayloadTooLargeError(
      `The file is ${input.size} bytes; this gateway takes uploads of at most ${maxResumableUploadBytes} bytes ` +
        "(4 MiB), because each upload chunk passes through one Lambda invocation.",
    );
  }
  const now = deps.now?.() ?? Date.now();
  const upload: UploadRecord = {
    id: newId(),
    kind: "upload",
    tenant: input.tenant,
    dialect: input.dialect,
    provider: input.provider,
    createdAt: now,
    expiresAt: now + sessionTtlMs,
    displayName: input.displayName,
    mimeType: input.mimeType,
    size: input.size,
    chunks: [],
  };
  await deps.repo.create(upload);
  return upload;
};

/**
 * Stores one chunk at its offset (a retried chunk overwrites itself) and, on `finalize`, joins the chunks into a
 * file. Returns the file once finalized. A finalized session answers a repeated finalize with the same file.
 */
export const uploadChunk = async (
  deps: FileDeps,
  input: { uploadId: string; offset: number; body: Uint8Array; finalize: boolean },
): Promise<{ upload: UploadRecord; file?: FileRecord }> => {
  const upload = await deps.repo.getById("upload", input.uploadId);
  if (!upload) throw new NotFoundError("No such upload session (it may have expired).");
  if (upload.fileId) return { upload, file: await deps.repo.get("file", upload.tenant, upload.fileId) };
  if (!Number.isInteger(input.offset) || input.offset < 0 || input.offset + input.body.byteLength > upload.size) {
    throw new BadRequestError(
      `Chunk at offset ${input.offset} of ${input.body.byteLength} bytes does not fit the announced ${upload.size} bytes.`,
    );
  }
  await deps.blobs.put(chunkKey(upload, input.offset), input.body, "application/octet-stream");
  const chunks = [
    ...upload.chunks.filter((c) => c.offset !== input.offset),
    { offset: input.offset, bytes: input.body.byteLength },
  ].sort((a, b) => a.offset - b.offset);
  if (!input.finalize) {
    const updated = await deps.repo.update("upload", upload.id, { chunks });
    return { upload: updated ?? upload };
  }
  let expected = 0;
  for (const chunk of chunks) {
    if (chunk.offset !== expected)
      throw new BadRequestError(`Missing bytes ${expected}–${chunk.offset - 1}: upload every chunk before finalizing.`);
    expected += chunk.bytes;
  }
  if (expected !== upload.size)
    throw new BadRequestError(`Received ${expected} of the announced ${upload.size} bytes.`);
  const body = Buffer.concat(await Promise.all(chunks.map((c) => deps.blobs.read(chunkKey(upload, c.offset)))));
  const batchInput = await isBatchInput(deps, body);
  const file = await createFile(deps, {
    tenant: upload.tenant,
    dialect: upload.dialect,
    provider: upload.provider,
    filename: upload.displayName ?? "upload",
    purpose: batchInput ? "batch" : "user_data",
    contentType: upload.mimeType,
    body,
  });
  const updated = await deps.repo.update("upload", upload.id, { chunks, fileId: file.id });
  await Promise.all(chunks.map((c) => deps.blobs.delete(chunkKey(upload, c.offset))));
  return { upload: updated ?? upload, file };
};
