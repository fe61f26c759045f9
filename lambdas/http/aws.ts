import { BadRequestError } from "../core/errors";
import type { HttpRequest } from "./request";

/** The parts of a SigV4 `Authorization` header the gateway reads (the authenticator verifies the signature itself). */
export interface SigV4Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

const sigV4 =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})$/i;

/** Parses a SigV4 `Authorization` header; undefined when the header is absent or another scheme. */
export const parseSigV4 = (request: HttpRequest): SigV4Credential | undefined => {
  const header = request.headers.authorization ?? "";
  if (!header.startsWith("AWS4-HMAC-SHA256")) {
    const credential = request.query["X-Amz-Credential"];
    if (!credential) return undefined;
    const [accessKeyId, date, region, service] = credential.split("/");
    if (!accessKeyId || !date || !region || !service) throw new BadRequestError("Malformed X-Amz-Credential.");
    return { accessKeyId, date, region, service };
  }
  const match = sigV4.exec(header.trim());
  if (!match) throw new BadRequestError("Malformed AWS4-HMAC-SHA256 Authorization header.");
  return { accessKeyId: match[1]!, date: match[2]!, region: match[3]!, service: match[4]! };
};

/**
 * Decodes an `aws-chunked` body (`<hex size>[;chunk-signature=…]\r\n<bytes>\r\n … 0\r\n<trailers>\r\n\r\n`) to the
 * object's bytes; trailers such as `x-amz-checksum-crc32` are returned apart. Plain bodies pass through.
 */
export const decodeAwsChunked = (request: HttpRequest): { body: Uint8Array; trailers: Record<string, string> } => {
  const encoding = (request.headers["content-encoding"] ?? "").toLowerCase();
  const sha = request.headers["x-amz-content-sha256"] ?? "";
  if (
    !encoding
      .split(",")
      .map((e) => e.trim())
      .includes("aws-chunked") &&
    !sha.startsWith("STREAMING-")
  )
    return { body: request.body, trailers: {} };
  const raw = Buffer.from(request.body);
  const parts: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let offset = 0;
  for (;;) {
    const lineEnd = raw.indexOf("\r\n", offset);
    if (lineEnd < 0) throw new BadRequestError("Malformed aws-chunked body: a chunk header is cut short.");
    const size = Number.parseInt(raw.subarray(offset, lineEnd).toString("latin1").split(";")[0]!, 16);
    if (!Number.isFinite(size) || size < 0) throw new BadRequestError("Malformed aws-chunked body: bad chunk size.");
    offset = lineEnd + 2;
    if (size === 0) break;
    if (offset + size > raw.length)
      throw new BadRequestError("Malformed aws-chunked body: a chunk is shorter than its size.");
    parts.push(raw.subarray(offset, offset + size));
    offset += size + 2;
  }
  for (const line of raw.subarray(offset).toString("latin1").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = Buffer.concat(parts);
  const declared = request.headers["x-amz-decoded-content-length"];
  if (declared !== undefined && Number(declared) !== body.byteLength) {
    throw new BadRequestError(
      `The aws-chunked body decodes to ${body.byteLength} bytes, not the declared ${declared}.`,
    );
  }
  return { body, trailers };
};
