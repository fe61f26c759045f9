import { createFile, type FileDeps, isBatchInput } from "./files";
import type { Dialect, Provider } from "./model";
import type { NamespaceEntry, NamespaceIndex } from "./ports";

/** The named-object namespace operations need the file operations plus the key index. */
export interface NamespaceDeps extends FileDeps {
  namespace: NamespaceIndex;
}

/**
 * Stores an object: the bytes become a gateway file (a batch input when they are JSONL objects) and the key
 * points at it. Overwriting a key removes the file it pointed at.
 */
export const putObject = async (
  deps: NamespaceDeps,
  input: {
    tenant: string;
    dialect: Dialect;
    provider: Provider;
    bucket: string;
    key: string;
    body: Uint8Array;
    contentType: string;
  },
): Promise<NamespaceEntry> => {
  const batchInput = await isBatchInput(deps, input.body);
  const file = await createFile(deps, {
    tenant: input.tenant,
    dialect: input.dialect,
    provider: input.provider,
    filename: input.key.slice(input.key.lastIndexOf("/") + 1),
    purpose: batchInput ? "batch" : "user_data",
    contentType: input.contentType,
    body: input.body,
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
  return entry;
};

/** Points a key at an existing file (e.g. a batch's result file); the file a replaced key pointed at is removed. */
export const linkObject = async (deps: NamespaceDeps, entry: NamespaceEntry): Promise<void> => {
  const replaced = await deps.namespace.put(entry);
  if (replaced && replaced.fileId !== entry.fileId) {
    const old = await deps.repo.delete("file", entry.tenant, replaced.fileId);
    if (old) await deps.blobs.delete(old.blobKey);
  }
};

/** The entry at a key, or undefined when there is none or its file has gone. */
export const findObject = async (
  deps: NamespaceDeps,
  tenant: string,
  bucket: string,
  key: string,
): Promise<NamespaceEntry | undefined> => {
  const entry = await deps.namespace.get(tenant, bucket, key);
  return entry && (await deps.repo.get("file", tenant, entry.fileId)) ? entry : undefined;
};

/** Removes a key and its file; returns the entry that was there, if any. */
export const deleteObject = async (
  deps: NamespaceDeps,
  tenant: string,
  bucket: string,
  key: string,
): Promise<NamespaceEntry | undefined> => {
  const entry = await deps.namespace.get(tenant, bucket, key);
  if (!entry) return undefined;
  await deps.namespace.delete(tenant, bucket, key);
  const file = await deps.repo.delete("file", tenant, entry.fileId);
  if (file) await deps.blobs.delete(file.blobKey);
  return entry;
};

/** Keys of one bucket in byte order, after `startAfter` (exclusive), under `prefix`, at most `limit`. */
export const listObjects = (
  deps: NamespaceDeps,
  tenant: string,
  bucket: string,
  options: { prefix: string; startAfter?: string; limit: number },
): Promise<{ entries: NamespaceEntry[]; truncated: boolean }> => deps.namespace.list(tenant, bucket, options);
