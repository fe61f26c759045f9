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
