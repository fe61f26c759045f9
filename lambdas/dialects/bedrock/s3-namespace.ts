import { BadRequestError, NotFoundError, PreconditionFailedError } from "../../core/errors";
import type { NamespaceDeps } from "../../core/namespace";
import * as namespace from "../../core/namespace";
import { type NamespaceEntry, successorOf } from "../../core/ports";

/*
 * S3's rules and words over core's bucket/key namespace: bucket naming, If-Match, S3's error codes, and
 * ListObjectsV2's delimiter roll-up and continuation tokens.
 */

const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Checks a bucket and key as S3 would (bucket naming rules, key length, no `..` path games). */
/**
 * S3's general purpose bucket naming rules beyond the characters: no adjacent periods or a period beside a hyphen,
 * not an IP address, none of the prefixes and suffixes S3 reserves (`xn--`, `-s3alias`, …).
 */
const reservedBucketName =
  /\.\.|\.-|-\.|^\d+\.\d+\.\d+\.\d+$|^(xn--|sthree-|amzn-s3-demo-)|(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/;

export const checkLocation = (bucket: string, key?: string): void => {
  if (!bucketName.test(bucket) || reservedBucketName.test(bucket))
    throw new BadRequestError(`The specified bucket is not valid: ${bucket}.`, { code: "InvalidBucketName" });
  if (key === undefined) return;
  if (key.length === 0 || Buffer.byteLength(key) > 1024)
    throw new BadRequestError("Keys must be 1 to 1024 bytes long.", { code: "KeyTooLongError" });
  if (key.split("/").some((segment) => segment === "." || segment === "..")) {
    throw new BadRequestError(
      `Key ${JSON.stringify(key)} has a '.' or '..' segment, which this namespace does not allow.`,
      { code: "InvalidArgument" },
    );
  }
};

/** The quoted ETag of an entry: the file's gateway id, usable as a routing identifier (`s3://openai-files/{etag}`). */
export const etagOf = (entry: NamespaceEntry): string => `"${entry.fileId}"`;

const checkIfMatch = (entry: NamespaceEntry, ifMatch: string | undefined): void => {
  if (ifMatch === undefined || ifMatch.trim() === "*") return;
  const wanted = ifMatch.split(",").map((tag) => tag.trim().replace(/^W\//, "").replace(/^"|"$/g, ""));
  if (!wanted.includes(entry.fileId))
    throw new PreconditionFailedError("At least one of the pre-conditions you specified did not hold", {
      code: "PreconditionFailed",
    });
};

/** The entry at a key (checking `If-Match`), or S3's `NoSuchKey`. */
export const headObject = async (
  deps: NamespaceDeps,
  tenant: string,
  bucket: string,
  key: string,
  ifMatch?: string,
): Promise<NamespaceEntry> => {
  checkLocation(bucket, key);
  const entry = await namespace.findObject(deps, tenant, bucket, key);
  if (!entry) {
    throw new NotFoundError("The specified key does not exist.", { code: "NoSuchKey" });
  }
  checkIfMatch(entry, ifMatch);
  return entry;
};

/** Removes a key and its file; a missing key is not an error (S3 answers 204 either way), a failed `If-Match` is. */
export const deleteObject = async (
  deps: NamespaceDeps,
  tenant: string,
  bucket: string,
  key: string,
  ifMatch?: string,
): Promise<void> => {
  checkLocation(bucket, key);
  const entry = await namespace.findObject(deps, tenant, bucket, key);
  if (!entry) {
    if (ifMatch !== undefined) throw new NotFoundError("The specified key does not exist.", { code: "NoSuchKey" });
    await namespace.deleteObject(deps, tenant, bucket, key); // a key whose file has gone
    return;
  }
  checkIfMatch(entry, ifMatch);
  await namespace.deleteObject(deps, tenant, bucket, key);
};

/** One page of ListObjectsV2. */
export interface ObjectListing {
  contents: NamespaceEntry[];
  commonPrefixes: string[];
  truncated: boolean;
  nextToken?: string;
}

/** Where a listing goes on: after a key it listed, or at the first key past a common prefix it rolled up. */
type Cursor = { after: string } | { at: string };

// A token is the cursor, `a` or `@` and the key: opaque to the caller, checked when it comes back.
const encodeToken = (cursor: Cursor): string =>
  Buffer.from("after" in cursor ? `a${cursor.after}` : `@${cursor.at}`, "utf8").toString("base64url");
const decodeToken = (token: string): Cursor => {
  const decoded = Buffer.from(token, "base64url").toString("utf8");
  const cursor: Cursor = decoded.startsWith("@") ? { at: decoded.slice(1) } : { after: decoded.slice(1) };
  if (!/^[a@]/.test(decoded) || encodeToken(cursor) !== token.replace(/=+$/, ""))
    throw new BadRequestError("The continuation token provided is incorrect.", { code: "InvalidArgument" });
  return cursor;
};

/**
 * ListObjectsV2 over a tenant's bucket: keys in byte order under `prefix`, keys sharing a `delimiter`-ended prefix
 * rolled up into one common prefix, `maxKeys` items per page with an opaque continuation token. A bucket the tenant
 * holds no object in does not exist (NoSuchBucket): buckets are only names in this namespace.
 */
export const listObjects = async (
  deps: NamespaceDeps,
  tenant: string,
  bucket: string,
  options: { prefix: string; delimiter?: string; maxKeys: number; continuationToken?: string; startAfter?: string },
): Promise<ObjectListing> => {
  checkLocation(bucket);
  if ((await namespace.listObjects(deps, tenant, bucket, { prefix: "", limit: 1 })).entries.length === 0) {
    throw new NotFoundError("The specified bucket does not exist.", { code: "NoSuchBucket" });
  }
  let cursor: Cursor | undefined =
    options.continuationToken !== undefined
      ? decodeToken(options.continuationToken)
      : options.startAfter === undefined
        ? undefined
        : { after: options.startAfter };
  const contents: NamespaceEntry[] = [];
  const commonPrefixes: string[] = [];
  let count = 0;
  for (;;) {
    const page = await namespace.listObjects(deps, tenant, bucket, {
      prefix: options.prefix,
      ...(cursor && ("after" in cursor ? { startAfter: cursor.after } : { startAt: cursor.at })),
      limit: Math.max(options.maxKeys, 1),
    });
    let rolledUp = false;
    for (const entry of page.entries) {
      if (count >= options.maxKeys)
        return { contents, commonPrefixes, truncated: true, nextToken: encodeToken(cursor ?? { after: "" }) };
      const rest = entry.key.slice(options.prefix.length);
      const cut = options.delimiter ? rest.indexOf(options.delimiter) : -1;
      count++;
      if (cut < 0) {
        contents.push(entry);
        cursor = { after: entry.key };
        continue;
      }
      const common = options.prefix + rest.slice(0, cut + options.delimiter!.length);
      commonPrefixes.push(common);
      // On from the first key past every key under the common prefix (by construction: no sentinel a key can hold).
      const next = successorOf(common);
      if (next === undefined) return { contents, commonPrefixes, truncated: false };
      cursor = { at: next };
      rolledUp = true;
      break; // re-query after the common prefix rather than reading every key under it
    }
    if (!page.truncated && !rolledUp) return { contents, commonPrefixes, truncated: false };
    if (page.entries.length === 0) return { contents, commonPrefixes, truncated: false };
  }
};
