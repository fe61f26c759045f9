import { tenantOf } from "../../core/ids";
import type { Provider } from "../../core/model";
import { providerSchema } from "../../core/schemas";
import { parseWith } from "../../core/validation";
import { bearerToken, requireCredential } from "../../http/auth";
import { parseSigV4 } from "../../http/aws";
import type { HttpRequest } from "../../http/request";

/**
 * The tenant of an AWS SDK call: the SigV4 access key id (`Credential=AKID/…`), or the token of a Bedrock API
 * key (`Authorization: Bearer`, as botocore sends with AWS_BEARER_TOKEN_BEDROCK). Signatures are verified in issue 8.
 */
export const awsTenant = (request: HttpRequest): string => {
  const sigv4 = parseSigV4(request);
  return tenantOf(requireCredential(sigv4?.accessKeyId ?? bearerToken(request), "a SigV4-signed request (AWS credentials) or a Bedrock API key"));
};

/** The region the caller signed for, used in the ARNs the gateway hands back. */
export const callerRegion = (request: HttpRequest, fallback: string): string => parseSigV4(request)?.region ?? fallback;

/** The provider named by the `x-model-provider` header (default `bedrock`). */
export const awsProvider = (request: HttpRequest): Provider =>
  parseWith(providerSchema.optional(), request.headers["x-model-provider"], "x-model-provider header") ?? "bedrock";
