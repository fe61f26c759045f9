import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { callerKeyed } from "./caller-keys";
import { BadRequestError } from "./errors";
import { chunkMetaName } from "./layout";

/**
 * What a chunk stored straight by API Gateway carries besides its bytes, kept as its `x-amz-meta-finops` metadata
 * (base64url JSON, set by the staged route's authorizer): how its body was encoded on the wire and what its request
 * announced about it, checked at the join. Small by design: S3 user metadata holds at most 2 KB.
 */
export interface ChunkMeta {
  /** `aws-chunked`: the stored bytes are the SDK's framing, decoded at the join. */
  encoding?: "aws-chunked";
  /** The decoded length the SDK announced (`x-amz-decoded-content-length`). */
  decodedLength?: number;
  /** The hex SHA-256 of the stored bytes the request announced (`x-amz-content-sha256`), checked at the join. */
  sha256?: string;
  /**
   * The flexible checksum the SDK sent (`x-amz-checksum-{algorithm}`): its value as a header, or — with `aws-chunked`
   * and `x-amz-trailer` — in the body's trailer. Checked at the join over the decoded bytes, as S3 checks it.
   */
  checksum?: { algorithm: ChecksumAlgorithm; value?: string };
}

/** S3's flexible checksum algorithms, as their header names spell them. */
export const checksumAlgorithms = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;
export type ChecksumAlgorithm = (typeof checksumAlgorithms)[number];

/**
 * A running checksum of the decoded bytes, base64 as S3 writes it: CRC32 (the SDKs' default), SHA-1 and SHA-256.
 * CRC32C and CRC64NVME, which a caller must ask for, are not computed here (undefined): their announced value is
 * kept, not checked.
 */
export const runningChecksum = (
  algorithm: ChecksumAlgorithm,
): { update(bytes: Uint8Array): void; digest(): string } | undefined => {
  if (algorithm === "crc32") {
    let crc = 0;
    return {
      update: (bytes) => {
        crc = crc32(bytes, crc);
      },
      digest: () => {
        const out = Buffer.alloc(4);
        out.writeUInt32BE(crc >>> 0);
        return out.toString("base64");
      },
    };
  }
  if (algorithm === "sha1" || algorithm === "sha256") {
    const hash = createHash(algorithm);
    return { update: (bytes) => hash.update(bytes), digest: () => hash.digest("base64") };
  }
  return undefined;
};

export const encodeChunkMeta = (meta: ChunkMeta): string => Buffer.from(JSON.stringify(meta)).toString("base64url");

/**
 * S3's limit on an object's user metadata: the UTF-8 bytes of every name and value, 2 KB in all. The S3 emulator
 * does not enforce it; the local store does (local/server.ts), as S3 would refuse the staged body.
 */
export const userMetadataLimitBytes = 2048;

/** The size S3 counts for user metadata (names without `x-amz-meta-`). */
export const userMetadataBytes = (metadata: Record<string, string>): number =>
  Object.entries(metadata).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value), 0);

export const decodeChunkMeta = (metadata: Record<string, string>): ChunkMeta => {
  const raw = metadata[chunkMetaName];
  if (!raw) return {};
  try {
    return JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as ChunkMeta;
  } catch {
    return {};
  }
};

const crlf = Buffer.from("\r\n");

/**
 * Decodes an `aws-chunked` body as it streams (`<hex size>[;chunk-signature=…]\r\n<bytes>\r\n … 0\r\n<trailers>`),
 * holding at most one frame; the trailers (a checksum) are handed to `trailers` once the body has ended, names
 * lowercased. Framing that does not hold is a 400.
 */
export async function* decodeAwsChunked(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  trailers: (found: Record<string, string>) => void = () => undefined,
): AsyncGenerator<Uint8Array> {
  let pending = Buffer.alloc(0);
  let remaining = -1; // bytes of the current frame still to yield; -1 while reading a frame header
  let ended = false;
  const bad = (why: string) => new BadRequestError(`Malformed aws-chunked body: ${why}.`);
  let tail = Buffer.alloc(0);
  for await (const piece of source) {
    if (ended) {
      if (tail.byteLength < 8192) tail = Buffer.concat([tail, piece]);
      continue;
    }
    pending = pending.byteLength ? Buffer.concat([pending, piece]) : Buffer.from(piece);
    for (;;) {
      if (remaining < 0) {
        const end = pending.indexOf(crlf);
        if (end < 0) {
          if (pending.byteLength > 4096) throw bad("a frame header has no end");
          break;
        }
        const size = Number.parseInt(pending.subarray(0, end).toString("latin1").split(";")[0] ?? "", 16);
        if (!Number.isFinite(size) || size < 0) throw bad("a frame size is not hexadecimal");
        pending = pending.subarray(end + 2);
        if (size === 0) {
          ended = true;
          tail = pending;
          break;
        }
        remaining = size;
      }
      if (remaining > 0) {
        if (pending.byteLength === 0) break;
        const take = Math.min(remaining, pending.byteLength);
        yield pending.subarray(0, take);
        pending = pending.subarray(take);
        remaining -= take;
        if (remaining > 0) break;
      }
      if (pending.byteLength < 2) break;
      if (!pending.subarray(0, 2).equals(crlf)) throw bad("a frame is longer than its size");
      pending = pending.subarray(2);
      remaining = -1;
    }
  }
  if (!ended) throw bad("it ends before its last frame");
  const found = callerKeyed<string>();
  for (const line of tail.toString("latin1").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) found[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  trailers(found);
}
