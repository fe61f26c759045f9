import { TokenProviderError } from "@smithy/core/config";

/**
 * What Lambda bundles use in place of `@aws-sdk/token-providers` (an esbuild alias, lib/bundling.ts). The Bedrock
 * clients can sign with a bearer token (a Bedrock API key in `AWS_BEARER_TOKEN_BEDROCK`, or an SSO login's token
 * file) as well as with SigV4; the gateway's Lambdas sign with their role, and the SSO chain behind the token
 * provider bundles an SSO-OIDC client (17 KiB) that no handler calls. Asked for a token, these say why there is none.
 */
const noToken = () => async (): Promise<never> => {
  throw new TokenProviderError(
    "The gateway's Lambdas sign AWS calls with their role (SigV4); they take no bearer token or SSO login.",
    { tryNextLink: false },
  );
};

export const fromEnvSigningName = noToken;
export const nodeProvider = noToken;
