import { type FileDeps, settleFile } from "./files";
import type { NamespaceEntry, NamespaceIndex, NamespaceListing } from "./ports";

/** The named-object namespace operations need the file operations plus the key index. */
export interface NamespaceDeps extends FileDeps {
  namespace: NamespaceIndex;
}

/** Points a key at an existing file (e.g. a batch's result file); the file a replaced key pointed at is removed. */
export const linkObject = async (deps: NamespaceDeps, entry: NamespaceEntry): Promise<void> => {
  const replaced = await deps.namespace.put(entry);
  if (replaced?.pending && replaced.pending.fileId !== entry.fileId)
    await deps.repo.delete("file", entry.tenant, replaced.pending.fileId); // a body still arriving, superseded
  if (replaced?.fileId && replaced.fileId !== entry.fileId) {
    const old = await deps.repo.delete("file", entry.tenant, replaced.fileId);
    if (old) await deps.blobs.delete(old.blobKey);
  }
};

/** How long a body may take to arrive after it was admitted (API Gateway gives an integration at most 29 s). */
const pendingTtlMs = 15 * 60_000;

/**
 * What a key holds now. A pending body whose bytes have all arrived (and pass their checks) replaces what the key
 * held; one still arriving leaves the key as it was; one that failed its checks, or never arrived, is dropped.
 */
const resolve = async (deps: NamespaceDeps, entry: NamespaceEntry): Promise<NamespaceEntry | undefined> => {
  const { pending, ...current } = entry;
  if (pending) {
    const staged = await deps.repo.get("file", entry.tenant, pending.fileId);
    const file = staged && (await settleFile(deps, staged));
    if (file && !file.staged) {
      const arrived = { ...current, fileId: file.id, size: file.bytes, lastModified: file.createdAt };
      await linkObject(deps, { ...arrived, contentType: file.contentType });
      return { ...arrived, contentType: file.contentType };
    }
    const now = deps.now?.() ?? Date.now();
    if (!file || file.staged?.failure || now - pending.at > pendingTtlMs) {
      if (current.fileId) await deps.namespace.put(current);
      else await deps.namespace.delete(entry.tenant, entry.bucket, entry.key);
      if (file) await deps.repo.delete("file", entry.tenant, file.id);
    }
  }
  return current.fileId && (await deps.repo.get("file", entry.tenant, current.fileId)) ? current : undefined;
};

/**
 * Marks a body as pending on a key: a body pending before it is first settled (it may have arrived), and one still
 * arriving is superseded, as the later of two writes wins.
 */
export const markPending = async (
  deps: NamespaceDeps,
  input: { tenant: string; bucket: string; key: string; contentType: string; fileId: string; at: number },
): Promise<void> => {
  const stored = await deps.namespace.get(input.tenant, input.bucket, input.key);
  const current = stored && (await resolve(deps, stored));
  if (stored?.pending && current?.fileId !== stored.pending.fileId)
    await deps.repo.delete("file", input.tenant, stored.pending.fileId);
  await deps.namespace.put({
    ...(current ?? {
      tenant: input.tenant,
      bucket: input.bucket,
      key: input.key,
      fileId: "",
      size: 0,
      contentType: input.contentType,
      lastModified: input.at,
    }),
    pending: { fileId: input.fileId, at: input.at },
  });
};

/** The entry at a key, or undefined when there is none or its file has gone. */
export const findObject = async (
  deps: NamespaceDeps,
  tenant: string,
  bucket: string,
  key: string,
): Promise<NamespaceEntry | undefined> => {
  const entry = await deps.namespace.get(tenant, bucket, key);
  return entry && resolve(deps, entry);
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
  if (entry.pending) await deps.repo.delete("file", tenant, entry.pending.fileId);
  const file = entry.fileId ? await deps.repo.delete("file", tenant, entry.fileId) : undefined;
  if (file) await deps.blobs.delete(file.blobKey);
  return entry;
};

/**
 * Keys of one bucket in byte order, under `prefix`, from `startAt` or after `startAfter`, at most `limit`; a key that
 * holds only a body still arriving is left out.
 */
export const listObjects = async (
  deps: NamespaceDeps,
  tenant: string,
  bucket: string,
  options: NamespaceListing,
): Promise<{ entries: NamespaceEntry[]; truncated: boolean }> => {
  const page = await deps.namespace.list(tenant, bucket, options);
  const entries = await Promise.all(
    page.entries.map((entry) => (entry.pending || !entry.fileId ? resolve(deps, entry) : entry)),
  );
  return { ...page, entries: entries.filter((entry): entry is NamespaceEntry => entry !== undefined) };
};
