import { fromEnv } from "@aws-sdk/credential-provider-env";

/**
 * What Lambda bundles use in place of `@aws-sdk/credential-provider-node` (an esbuild alias, lib/constructs/
 * gateway-function.ts): Lambda always hands a function its role's credentials in the environment, so the default
 * chain's SSO, INI, process, web-identity and instance-metadata providers — and the STS and SSO clients they bundle,
 * about 110 KiB — are code no handler ever calls. Local mode and the tools keep the full chain.
 */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
