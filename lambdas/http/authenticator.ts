import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { callerKeyed } from "../core/caller-keys";
import { type CredentialStore, hashApiKey, type SecretSealer } from "../core/credentials";
import { AuthenticationError, ErrorKind, GatewayError } from "../core/errors";
import { tenantOf } from "../core/ids";
import { bearerToken } from "./auth";
import { parseSigV4 } from "./aws";
import type { HttpRequest } from "./request";

/** What a caller presented: an API key (as its SDK sends it), AWS credentials (SigV4), or nothing. */
export type Presented =
  | { type: "key"; key: string }
  /** `v2Resource`: what an S3 Signature Version 2 signs as its resource (`/bucket/key`, percent-encoded as sent). */
  | { type: "aws"; v2Resource?: string }
  | { type: "none"; hint: string }
  /** The request carries its own capability (an upload session id), checked by the route. */
  | { type: "capability" };

/** Turns what a caller presented into a tenant, or refuses it. */
export interface Authenticator {
  tenantFor(request: HttpRequest, presented: Presented): Promise<string>;
}

/** The tenant of a credential that admitted a request, its name kept on the request (FOCUS `SubAccountName`). */
const admitted = (request: HttpRequest, record: { tenant: string; name: string }): string => {
  request.credentialName = record.name;
  return record.tenant;
};

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
): Authenticator => {
  /** The enabled credential of an access key id, or AWS's refusal of an unknown one. */
  const enabledAccessKey = async (accessKeyId: string) => {
    const record = await store.byAccessKeyId(accessKeyId);
    if (record?.status !== "enabled") {
      throw new AwsAuthError("The AWS access key ID you provided does not exist in our records.", "InvalidAccessKeyId");
    }
    return record;
  };
  return {
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
        return admitted(request, record);
      }
      const authorization = request.headers.authorization ?? "";
      if (presented.type === "aws" && presented.v2Resource && !authorization && request.query.AWSAccessKeyId) {
        // A Signature Version 2 presigned URL: what boto3's `generate_presigned_url` makes unless told `s3v4`.
        const record = await enabledAccessKey(request.query.AWSAccessKeyId);
        verifyPresignedV2(request, presented.v2Resource, await sealer.unseal(record.sealedSecret), now());
        return admitted(request, record);
      }
      const credential = parseSigV4(request);
      // A presigned URL (boto3 `generate_presigned_url`, JS `getSignedUrl`) carries its signature in the query.
      const presigned = !authorization && request.query["X-Amz-Algorithm"] === "AWS4-HMAC-SHA256";
      if (!credential || (!presigned && !authorization.startsWith("AWS4-HMAC-SHA256"))) {
        throw new AwsAuthError(
          "Requests must be signed with AWS Signature Version 4 using a gateway access key.",
          "MissingAuthenticationToken",
        );
      }
      const record = await enabledAccessKey(credential.accessKeyId);
      const secret = () => sealer.unseal(record.sealedSecret);
      if (presigned) {
        await verifyPresigned(request, credential, secret, now());
        return admitted(request, record);
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
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
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
      if (!(await signatureHolds(signed, await secret(), request.body))) {
        throw new AwsAuthError(
          "The request signature we calculated does not match the signature you provided.",
          "SignatureDoesNotMatch",
        );
      }
      return admitted(request, record);
    },
  };
};

/** The longest a presigned URL may live (S3's own limit: seven days). */
const maxPresignedSeconds = 7 * 24 * 3600;

/**
 * Verifies a presigned URL as S3 does: signed until `X-Amz-Date` + `X-Amz-Expires`, over the query without its
 * signature, the headers it names and an unsigned payload.
 */
const verifyPresigned = async (
  request: HttpRequest,
  credential: { accessKeyId: string; region: string; service: string },
  secret: () => Promise<string>,
  now: number,
): Promise<void> => {
  const { query } = request;
  const signingDate = parseAmzDate(query["X-Amz-Date"]);
  const expires = Number(query["X-Amz-Expires"]);
  if (!Number.isFinite(signingDate) || !Number.isInteger(expires) || expires < 1 || expires > maxPresignedSeconds) {
    throw new AwsAuthError(
      "X-Amz-Date and X-Amz-Expires (1 to 604800 seconds) must be given with a presigned URL.",
      "AuthorizationQueryParametersError",
    );
  }
  if (now > signingDate + expires * 1000) throw new AwsAuthError("Request has expired", "AccessDenied");
  if (signingDate - now > maxSkewMs) {
    throw new AwsAuthError("The presigned URL's X-Amz-Date is in the future.", "RequestTimeTooSkewed");
  }
  const signedHeaders = (query["X-Amz-SignedHeaders"] ?? "").split(";").filter(Boolean);
  const headers = callerKeyed<string>();
  for (const name of signedHeaders) headers[name] = request.headers[name] ?? "";
  const { "X-Amz-Signature": signature = "", ...signedQuery } = query;
  const holds = await signatureHolds(
    {
      ...credential,
      method: request.method,
      path: request.rawPath,
      query: signedQuery,
      headers,
      signedHeaders,
      signingDate,
      signature,
      payloadHash: "UNSIGNED-PAYLOAD",
      presigned: true,
    },
    await secret(),
  );
  if (!holds) {
    throw new AwsAuthError(
      "The request signature we calculated does not match the signature you provided.",
      "SignatureDoesNotMatch",
    );
  }
};

/** S3's sub-resources, which a Signature Version 2 string to sign keeps in the resource (sorted). */
const v2SubResources = new Set([
  "acl",
  "delete",
  "partNumber",
  "response-cache-control",
  "response-content-disposition",
  "response-content-encoding",
  "response-content-language",
  "response-content-type",
  "response-expires",
  "tagging",
  "uploadId",
  "uploads",
  "versionId",
]);

/** Verifies a Signature Version 2 presigned URL (HMAC-SHA1 over S3's string to sign, valid until `Expires`). */
const verifyPresignedV2 = (request: HttpRequest, resource: string, secretAccessKey: string, now: number): void => {
  const expires = request.query.Expires ?? "";
  if (!/^\d+$/.test(expires)) throw new AwsAuthError("Expires must be given with a presigned URL.", "AccessDenied");
  if (now > Number(expires) * 1000) throw new AwsAuthError("Request has expired", "AccessDenied");
  const amzHeaders = Object.entries(request.headers)
    .filter(([name]) => name.startsWith("x-amz-") && !name.startsWith("x-amz-cf-"))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => `${name}:${value.trim()}\n`)
    .join("");
  const subResources = Object.entries(request.query)
    .filter(([name]) => v2SubResources.has(name))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => (value === "" ? name : `${name}=${value}`))
    .join("&");
  const stringToSign = [
    request.method,
    request.headers["content-md5"] ?? "",
    request.headers["content-type"] ?? "",
    expires,
    `${amzHeaders}${resource}${subResources ? `?${subResources}` : ""}`,
  ].join("\n");
  const expected = Buffer.from(createHmac("sha1", secretAccessKey).update(stringToSign, "utf8").digest("base64"));
  const given = Buffer.from(request.query.Signature ?? "");
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new AwsAuthError(
      "The request signature we calculated does not match the signature you provided.",
      "SignatureDoesNotMatch",
    );
  }
};

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
  /** Signed in the query (a presigned URL): `X-Amz-Date` is there, and neither it nor the payload hash is a header. */
  presigned?: boolean;
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
  const signsHash =
    (request.presigned || request.signedHeaders.includes("x-amz-content-sha256")) && request.payloadHash !== undefined;
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
    {
      signingDate: new Date(request.signingDate),
      signableHeaders: new Set(request.signedHeaders),
      // A presigned URL's date and payload hash are in its query, not among the headers it signed.
      ...(request.presigned && {
        unsignableHeaders: new Set(
          ["x-amz-date", "x-amz-content-sha256"].filter((name) => !request.signedHeaders.includes(name)),
        ),
      }),
    },
  );
  const expected = Buffer.from(signatureOf(String(signed.headers.authorization ?? signed.headers.Authorization ?? "")));
  const given = Buffer.from(request.signature);
  return expected.length > 0 && expected.length === given.length && timingSafeEqual(expected, given);
};
