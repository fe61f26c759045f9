import type { Provider } from "../lambdas/core/model";

/**
 * The models the gateway's own tools use when none is named (`npm run smoke`, the benchmarks) and the README's
 * examples show: current, small and cheap, and open to a new account. Bedrock's is Amazon Nova Micro, a first-party
 * model: no Marketplace subscription and no Anthropic first-time-use form stand between a fresh account and a smoke.
 * test/local/default-models.test.ts keeps the README and the tools on this list, and retired ids out.
 */
export const defaultModels = {
  openai: "gpt-4.1-mini",
  anthropic: "claude-haiku-4-5",
  gemini: "gemini-2.5-flash",
  bedrock: "amazon.nova-micro-v1:0",
} as const satisfies Record<Provider, string>;

/** Model ids the providers have retired, which nothing the gateway ships may suggest. */
export const retiredModels = [
  "claude-3-5-haiku-latest",
  "claude-3-5-haiku-20241022",
  "claude-3-sonnet-20240229",
  "gemini-2.0-flash",
  "gemini-1.5-flash",
  "gemini-1.5-pro",
] as const;
