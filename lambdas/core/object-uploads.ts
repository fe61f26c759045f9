import { checkedContentType } from "./caller-text";
import { BadRequestError, NotFoundError } from "./errors";
import { createFileFromChunks, decodedSize, maxJoinedBytes, storedChunks } from "./files";
import { newId } from "./ids";
import { chunkName, stagedChunksPrefix, stagingPrefix } from "./layout";
import type { Dialect, FileRecord, Provider, UploadRecord } from "./model";
import { linkObject, markPending, type NamespaceDeps } from "./namespace";
import type { NamespaceEntry } from "./ports";

/*
 * Bodies of named objects (bucket and key) that API Gateway stores straight into the bucket: a single body, and
 * the parts of a parted (multipart) upload, joined when the caller completes it. The errors carry neutral codes
 * (`PartProblem`) that the S3 dialect renders in S3's words.
 */

/** Why a parted upload's parts cannot be joined. */
export const PartProblem = {
  noUpload: "no-upload",
  missing: "part-missing",
  order: "part-order",
  tooSmall: "part-too-small",
} as const;

/** Every part but the last holds at least 5 MiB, and an upload has at most 10,000 parts, as S3 requires. */
export const minPartBytes = 5 * 1024 * 1024;
export const maxPartNumber = 10_000;
/** Open uploads live a day (the bucket expires their parts after a day). */
const uploadTtlMs = 24 * 3_600_000;

/** Where an admitted body goes, with the entity tag the caller is answered (none: the store's own, as S3's). */
export interface BodyTicket {
  session: string;
  chunk: string;
  etag?: string;
}

/** Opens a parted upload for an object; its id is what every part names. */
export const startObjectUpload = async (
  deps: NamespaceDeps,
  input: { tenant: string; dialect: Dialect; provider: Provider; bucket: string; key: string; contentType: string },
): Promise<UploadRecord> => {
  checkedContentType(input.contentType, "The Content-Type");
  const now = deps.now?.() ?? Date.now();
  const upload: UploadRecord = {
    id: newId(),
    kind: "upload",
    tenant: input.tenant,
    dialect: input.dialect,
    provider: input.provider,
    createdAt: now,
    expiresAt: now + uploadTtlMs,
    mimeType: input.contentType,
    displayName: input.key.slice(input.key.lastIndexOf("/") + 1),
    size: 0,
    target: { bucket: input.bucket, key: input.key },
  };
  await deps.repo.create(upload);
  return upload;
};

/** The tenant's open upload for this object, or the error that says there is none. */
const openUpload = async (
  deps: NamespaceDeps,
  input: { tenant: string; uploadId: string; bucket: string; key: string },
): Promise<UploadRecord> => {
  const upload = input.uploadId ? await deps.repo.get("upload", input.tenant, input.uploadId) : undefined;
  const gone =
    !upload ||
    upload.cancelled ||
    upload.fileId !== undefined ||
    upload.target?.bucket !== input.bucket ||
    upload.target.key !== input.key ||
    (upload.expiresAt ?? Number.POSITIVE_INFINITY) < (deps.now?.() ?? Date.now());
  if (gone || !upload) {
    throw new NotFoundError(
      "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
      { code: PartProblem.noUpload },
    );
  }
  return upload;
};

/**
 * Admits one part of an open upload (from the request's headers): where its bytes go — named by its number, so a
 * part sent again replaces the earlier one, as in S3. Its entity tag is the one the bucket gives the stored bytes
 * (their MD5, as S3's), which CompleteMultipartUpload must name.
 */
export const admitPart = async (
  deps: NamespaceDeps,
  input: { tenant: string; uploadId: string; bucket: string; key: string; partNumber: number },
): Promise<BodyTicket> => {
  if (!Number.isInteger(input.partNumber) || input.partNumber < 1 || input.partNumber > maxPartNumber) {
    throw new BadRequestError(`Part number must be an integer between 1 and ${maxPartNumber}, inclusive.`, {
      code: "InvalidArgument",
    });
  }
  const upload = await openUpload(deps, input);
  return { session: upload.id, chunk: chunkName(input.partNumber) };
};

/** One stored part, as a listing of the upload's parts shows it (the latest body sent for its number). */
export interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: number;
}

/** The parts stored so far, in part-number order, with the bucket's entity tag of each (unquoted). */
const latestParts = async (deps: NamespaceDeps, upload: UploadRecord) => {
  const prefix = stagedChunksPrefix(upload.id);
  const chunks = await storedChunks(deps, await deps.blobs.list(prefix));
  return chunks.map((chunk) => ({
    ...chunk,
    partNumber: Number(chunk.blob.key.slice(prefix.length)),
    etag: chunk.blob.etag.replace(/"/g, ""),
    size: decodedSize(chunk),
    lastModified: chunk.blob.lastModified,
  }));
};

/** The parts of an open upload (ListParts). */
export const listParts = async (
  deps: NamespaceDeps,
  input: { tenant: string; uploadId: string; bucket: string; key: string },
): Promise<StoredPart[]> =>
  (await latestParts(deps, await openUpload(deps, input))).map(({ partNumber, etag, size, lastModified }) => ({
    partNumber,
    etag,
    size,
    lastModified,
  }));

/**
 * Joins the parts the caller lists, in that order, into the object (streamed, never held whole; checked as they
 * are read), and points the key at it. Parts must be listed in ascending order, each with the tag it was answered,
 * and every part but the last must hold at least 5 MiB. Nothing is recorded unless every check holds; the upload
 * stays open to be completed again or aborted.
 */
export const completeObjectUpload = async (
  deps: NamespaceDeps,
  input: {
    tenant: string;
    uploadId: string;
    bucket: string;
    key: string;
    parts: { partNumber: number; etag: string }[];
  },
): Promise<NamespaceEntry> => {
  const upload = await openUpload(deps, input);
  if (input.parts.length === 0)
    throw new BadRequestError("You must specify at least one part.", { code: PartProblem.missing });
  const stored = await latestParts(deps, upload);
  const chosen = input.parts.map((part, index) => {
    const previous = input.parts[index - 1];
    if (previous && part.partNumber <= previous.partNumber) {
      throw new BadRequestError("The list of parts was not in ascending order. Parts must be ordered by part number.", {
        code: PartProblem.order,
      });
    }
    const match = stored.find((p) => p.partNumber === part.partNumber && p.etag === part.etag.replace(/"/g, ""));
    if (!match) {
      throw new BadRequestError(
        `Part ${part.partNumber} could not be found, or its ETag does not match the one it was answered: send it again.`,
        { code: PartProblem.missing },
      );
    }
    return match;
  });
  chosen.slice(0, -1).forEach((part) => {
    if (part.size < minPartBytes) {
      throw new BadRequestError(
        `Part ${part.partNumber} holds ${part.size} bytes; every part but the last must hold at least ${minPartBytes} (5 MiB).`,
        { code: PartProblem.tooSmall },
      );
    }
  });
  const total = chosen.reduce((sum, part) => sum + part.size, 0);
  if (total > maxJoinedBytes) {
    throw new BadRequestError(
      `The parts hold ${total} bytes; this gateway joins objects of at most ${maxJoinedBytes} bytes (1 GiB). ` +
        "Split the requests into several objects and create a job for each.",
      { code: "EntityTooLarge" },
    );
  }
  const file = await createFileFromChunks(
    deps,
    {
      tenant: upload.tenant,
      dialect: upload.dialect,
      provider: upload.provider,
      filename: upload.displayName ?? "upload",
      contentType: upload.mimeType,
    },
    chosen,
  ).catch((error: unknown) => {
    // A part gone between the listing and the join (an abort, or a part replaced meanwhile): S3's InvalidPart.
    if ((error as { name?: string }).name !== "NoSuchKey") throw error;
    throw new BadRequestError("A part changed or was removed while the upload was being completed: send it again.", {
      code: PartProblem.missing,
      cause: error,
    });
  });
  const entry: NamespaceEntry = {
    tenant: input.tenant,
    bucket: input.bucket,
    key: input.key,
    fileId: file.id,
    size: file.bytes,
    contentType: file.contentType,
    lastModified: file.createdAt,
  };
  await linkObject(deps, entry);
  await deps.repo.update("upload", upload.id, { fileId: file.id });
  await deps.blobs.deletePrefix(stagedChunksPrefix(upload.id));
  return entry;
};

/** Gives up on an open upload and frees the parts it stored. */
export const abortObjectUpload = async (
  deps: NamespaceDeps,
  input: { tenant: string; uploadId: string; bucket: string; key: string },
): Promise<void> => {
  const upload = await openUpload(deps, input);
  await deps.repo.update("upload", upload.id, { cancelled: true });
  await deps.blobs.deletePrefix(stagedChunksPrefix(upload.id));
};

/**
 * Admits a single body for a key (from the request's headers): records the file it will be, staged, and marks it
 * pending on the key, which keeps what it holds until the bytes have arrived (core/namespace.ts). Answers the
 * object's entity tag: the new file's id, as every entry's is.
 */
export const admitObjectBody = async (
  deps: NamespaceDeps,
  input: { tenant: string; dialect: Dialect; provider: Provider; bucket: string; key: string; contentType: string },
): Promise<BodyTicket> => {
  checkedContentType(input.contentType, "The Content-Type");
  const now = deps.now?.() ?? Date.now();
  const id = newId();
  const session = newId();
  const file: FileRecord = {
    id,
    kind: "file",
    tenant: input.tenant,
    dialect: input.dialect,
    provider: input.provider,
    createdAt: now,
    expiresAt: now + deps.config.fileTtlDays * 86_400_000,
    filename: input.key.slice(input.key.lastIndexOf("/") + 1),
    purpose: "user_data",
    bytes: 0,
    contentType: input.contentType,
    sha256: "",
    blobKey: `${stagingPrefix.files}${input.tenant}/${id}`,
    staged: { uploadId: session, single: true },
  };
  if (!(await deps.repo.create(file))) throw new Error(`File id collision: ${id}`);
  await markPending(deps, { ...input, fileId: id, at: now });
  return { session, chunk: chunkName(0), etag: id };
};
