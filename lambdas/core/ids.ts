import { createHash, hash, randomFillSync } from "node:crypto";

const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
const idPattern = /^[a-z2-7]{24}$/;

/** 15 bytes (120 bits) as 24 lowercase base32 characters. */
const base32 = (bytes: Uint8Array): string => {
  let bits = 0;
  let value = 0;
  let id = "";
  for (const byte of bytes.subarray(0, 15)) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      id += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return id;
};

// Random bytes are drawn from a pool refilled 4 KiB at a time: result files mint two ids per line, and one
// system call per id would dominate their conversion.
const pool = Buffer.alloc(4095);
let poolOffset = pool.length;

/** A new object id: 120 random bits as 24 lowercase base32 characters (unguessable, URL- and S3-safe). */
export const newId = (): string => {
  if (poolOffset + 15 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += 15;
  return base32(pool.subarray(poolOffset - 15, poolOffset));
};

/** True when `id` has the shape of a gateway id (anything else cannot exist, so callers answer 404). */
export const isId = (id: string): boolean => idPattern.test(id);

/**
 * The gateway id inside any dialect's rendering (`file-…`, `file_…`, `files/…`, `batch_…`, `msgbatch_…`,
 * `batches/…`) or a bare id; undefined for anything else. For places that take ids from every SDK.
 */
export const idFromAnyRendering = (rendered: string): string | undefined =>
  /^(?:[a-z]+[-_/])?([a-z2-7]{24})$/.exec(rendered)?.[1];

/** Renders `id` with a dialect prefix. */
export const renderId = (prefix: string, id: string): string => `${prefix}${id}`;

/** Parses a dialect-rendered id back to the gateway id, or undefined when it is not one. */
export const parseId = (prefix: string, rendered: string): string | undefined => {
  if (!rendered.startsWith(prefix)) return undefined;
  const id = rendered.slice(prefix.length);
  return isId(id) ? id : undefined;
};

/** The tenant a credential belongs to: a salted SHA-256, so the credential itself is never stored. */
export const tenantOf = (credential: string): string =>
  createHash("sha256").update(`finops-tenant\0${credential}`).digest("hex").slice(0, 32);

/**
 * An id derived from another object's id and a role (e.g. a batch's output file): the same every time, so a
 * retried step rewrites the same object instead of leaving a second one behind.
 */
export const derivedId = (parentId: string, role: string): string =>
  base32(createHash("sha256").update(`${parentId}\0${role}`).digest());

const upstreamSafe = /^[A-Za-z0-9]{1,64}$/;
/** The shape of a mapped key: `h` and 40 hex digits. */
const mappedShape = /^h[0-9a-f]{40}$/;

/**
 * The id a request carries upstream. Bedrock documents `recordId` as alphanumeric (Anthropic allows `_` and `-`
 * as well), so any other `custom_id` is replaced by `h` and 40 hex digits of its SHA-256; the collector maps it
 * back from the input file. A caller's id of that very shape is mapped too, so an id sent as it is and a mapped one
 * can never be equal: the two sets are disjoint by construction (and two mapped ids differ unless SHA-256 collides).
 */
export const upstreamKey = (customId: string): string =>
  upstreamSafe.test(customId) && !mappedShape.test(customId)
    ? customId
    : `h${hash("sha256", customId, "hex").slice(0, 40)}`;
