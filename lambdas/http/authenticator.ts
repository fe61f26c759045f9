import { createHash, timingSafeEqual } from "node:crypto";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { type CredentialStore, hashApiKey, type SecretSealer } from "../core/credentials";
import { AuthenticationError, ErrorKind, GatewayError } from "../core/errors";
import { tenantOf } from "../core/ids";
import { bearerToken } from "./auth";
import { parseSigV4 } from "./aws";
import type { HttpRequest } from "./request";

/** What a caller presented: an API key (as its SDK sends it), AWS credentials (SigV4), or nothing. */
export type Presented =
  | { type: "key"; key: string }
  | { type: "aws" }
  | { type: "none"; hint: string }
  /** The request carries its own capability (an upload session id), checked by the route. */
  | { type: "capability" };

/** Turns what a caller presented into a tenant, or refuses it. */
export interface Authenticator {
  tenantFor(request: HttpRequest, presented: Presented): Promise<string>;
}

/** 403 for AWS callers (what S3 and Bedrock answer), with the AWS error code the SDKs read. */
class AwsAuthError extends GatewayError {
  constructor(message: string, code: string) {
    super(403, ErrorKind.permission, message, { code });
  }
}

/**
 * Open mode (local default): every credential is accepted and its hash is the tenant, so callers are still kept
 * apart; SigV4 signatures are parsed, not verified.
 */
export const openAuthenticator: Authenticator = {
  async tenantFor(request, presented) {
    if (presented.type === "capability") return "";
    if (presented.type === "key") return tenantOf(presented.key);
    if (presented.type === "aws") {
      const credential = parseSigV4(request)?.accessKeyId ?? bearerToken(request);
      if (!credential)
        throw new AuthenticationError(
          "Missing credentials: sign the request (AWS credentials) or send a Bedrock API key.",
        );
      return tenantOf(credential);
    }
    throw new AuthenticationError(`Missing API key: send it as ${presented.hint}.`);
  },
};

/**
 * Pass-through mode (off by default): a key that is not a gateway key is taken as the caller's own provider key —
 * its batches run with it — and its hash is the tenant.
 */
const passThroughTenant = (request: HttpRequest, key: string): string => {
  request.providerKey = key;
  return tenantOf(key);
};

/** Open mode with pass-through: every key is also the caller's provider key. */
export const passThroughAuthenticator: Authenticator = {
  async tenantFor(request, presented) {
    if (presented.type === "key") return passThroughTenant(request, presented.key);
    return openAuthenticator.tenantFor(request, presented);
  },
};

const maxSkewMs = 15 * 60_000;
const signedHeadersOf = (authorization: string): string[] =>
  /SignedHeaders=([^,\s]+)/.exec(authorization)?.[1]?.split(";") ?? [];
const signatureOf = (authorization: string): string => /Signature=([0-9a-f]{64})/i.exec(authorization)?.[1] ?? "";

/** `20261122T121952Z` as epoch ms. */
const parseAmzDate = (value: string | undefined): number => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? "");
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
};

/**
 * Keys mode (deployed default): API keys must be gateway keys (looked up by hash), and AWS requests must carry a
 * valid SigV4 signature by a gateway access key: the request is signed again with the stored secret over the same
 * signed headers, path, query and payload hash, and the signatures compared in constant time.
 */
export const keyAuthenticator = (
  store: CredentialStore,
  sealer: SecretSealer,
  now: () => number = Date.now,
  passThrough = false,
): Authenticator => ({
  async tenantFor(request, presented) {
    if (presented.type === "capability") return "";
    if (presented.type === "none")
      throw new AuthenticationError(`Missing API key: send a gateway key as ${presented.hint}.`);
    const bearer =
      presented.type === "aws" && !request.headers.authorization?.startsWith("AWS4-")
        ? bearerToken(request)
        : undefined;
    if (presented.type === "key" || bearer) {
      const record = await store.byApiKeyHash(hashApiKey(presented.type === "key" ? presented.key : bearer!));
      if (!record && passThrough && presented.type === "key") return passThroughTenant(request, presented.key);
      if (record?.status !== "enabled") {
        if (bearer)
          throw new AwsAuthError(
            "The security token included in the request is invalid.",
            "UnrecognizedClientException",
          );
        throw new AuthenticationError("Incorrect API key: use a key created with `npm run keys -- create`.");
      }
      return record.tenant;
    }
    const authorization = request.headers.authorization ?? "";
    const credential = parseSigV4(request);
    if (!credential || !authorization.startsWith("AWS4-HMAC-SHA256")) {
      throw new AwsAuthError(
        "Requests must be signed with AWS Signature Version 4 using a gateway access key.",
        "MissingAuthenticationToken",
      );
    }
    const record = await store.byAccessKeyId(credential.accessKeyId);
    if (record?.status !== "enabled") {
      throw new AwsAuthError("The AWS access key ID you provided does not exist in our records.", "InvalidAccessKeyId");
    }
    const signingDate = parseAmzDate(request.headers["x-amz-date"]);
    if (!Number.isFinite(signingDate) || Math.abs(now() - signingDate) > maxSkewMs) {
      throw new AwsAuthError(
        "The difference between the request time and the current time is too large.",
        "RequestTimeTooSkewed",
      );
    }
    const signedHeaders = signedHeadersOf(authorization);
    // Exactly the headers the client signed, nothing added: botocore signs `host;x-amz-date` (and `content-type`
    // on a POST) for every service but S3, and no payload hash header; the JS SDK signs that header everywhere.
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) headers[name] = request.headers[name] ?? "";
    const payloadHash = request.headers["x-amz-content-sha256"];
    if (!request.bodyUnseen && payloadHash && /^[0-9a-f]{64}$/i.test(payloadHash)) {
      // The hash the client stated is what its signature covers: the body must be the one it hashed.
      if (createHash("sha256").update(request.body).digest("hex") !== payloadHash.toLowerCase()) {
        throw new GatewayError(
          400,
          ErrorKind.invalidRequest,
          "The provided 'x-amz-content-sha256' header does not " + "match what was computed.",
          { code: "XAmzContentSHA256Mismatch" },
        );
      }
    }
    const signed: SignedRequest = {
      accessKeyId: credential.accessKeyId,
      region: credential.region,
      service: credential.service,
      method: request.method,
      path: request.rawPath,
      query: request.query,
      headers,
      signedHeaders,
      signingDate,
      signature: signatureOf(authorization),
      payloadHash,
    };
    // The JS SDK signs Content-Length, which API Gateway drops: the front's copy brings it back (lambdas/http/front.ts).
    // Without it, a Lambda knows the length from the body it has; a staged route's authorizer, which never sees the
    // body, admits nothing it cannot verify.
    if (signedHeaders.includes("content-length") && request.headers["content-length"] === undefined) {
      if (request.bodyUnseen) {
        throw new AwsAuthError(
          "The signed Content-Length did not reach the gateway: send requests to the gateway's URL (its CloudFront " +
            "front), not to the API's own endpoint.",
          "SignatureDoesNotMatch",
        );
      }
      headers["content-length"] = String(request.body.byteLength);
    }
    if (!(await signatureHolds(signed, await sealer.unseal(record.sealedSecret), request.body))) {
      throw new AwsAuthError(
        "The request signature we calculated does not match the signature you provided.",
        "SignatureDoesNotMatch",
      );
    }
    return record.tenant;
  },
});

/** What a SigV4 signature covers, as the gateway checks it. */
interface SignedRequest {
  accessKeyId: string;
  region: string;
  service: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  signedHeaders: string[];
  signingDate: number;
  signature: string;
  /** `x-amz-content-sha256` as sent; where the client did not sign it, the signer hashes the body it is given. */
  payloadHash?: string;
}

/** Signs the request again with the stored secret and compares the signatures in constant time. */
const signatureHolds = async (
  request: SignedRequest,
  secretAccessKey: string,
  body: Uint8Array = new Uint8Array(),
): Promise<boolean> => {
  const signer = new SignatureV4({
    credentials: { accessKeyId: request.accessKeyId, secretAccessKey },
    region: request.region,
    service: request.service,
    sha256: Sha256,
    uriEscapePath: request.service !== "s3",
    applyChecksum: false,
  });
  // The signer canonicalizes every header it is given and reads the payload hash from `x-amz-content-sha256`: it
  // gets the signed headers only, and the hash through that header only when the client signed it.
  const signsHash = request.signedHeaders.includes("x-amz-content-sha256") && request.payloadHash !== undefined;
  const headers = signsHash ? { ...request.headers, "x-amz-content-sha256": request.payloadHash! } : request.headers;
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: "https:",
      hostname: request.headers.host ?? "",
      path: request.path,
      query: request.query,
      headers,
      body: signsHash ? undefined : body,
    },
    { signingDate: new Date(request.signingDate), signableHeaders: new Set(request.signedHeaders) },
  );
  const expected = Buffer.from(signatureOf(String(signed.headers.authorization ?? signed.headers.Authorization ?? "")));
  const given = Buffer.from(request.signature);
  return expected.length > 0 && expected.length === given.length && timingSafeEqual(expected, given);
};
