import type { Provider } from "../../core/model";
import { providerSchema } from "../../core/schemas";
import { parseWith } from "../../core/validation";
import { requireTenant } from "../../http/auth";
import type { Presented } from "../../http/authenticator";
import { parseSigV4 } from "../../http/aws";
import type { HttpRequest } from "../../http/request";

/**
 * AWS SDK calls are SigV4-signed (or carry a Bedrock API key as `Authorization: Bearer`); the authenticator
 * reads them.
 */
export const awsPresented = (): Presented => ({ type: "aws" });

/** The tenant of an AWS SDK call: its access key's (or, in open mode, the hash of the access key id). */
export const awsTenant = requireTenant;

/** The region the caller signed for, used in the ARNs the gateway hands back. */
export const callerRegion = (request: HttpRequest, fallback: string): string => parseSigV4(request)?.region ?? fallback;

/** The provider named by the `x-model-provider` header (default `bedrock`). */
export const awsProvider = (request: HttpRequest): Provider =>
  parseWith(providerSchema.optional(), request.headers["x-model-provider"], "x-model-provider header") ?? "bedrock";
