import type { Simulator } from "../../local/simulators/common";

/**
 * Waits until `condition` holds, checking every `everyMs`; fails naming `what` after `timeoutMs`. For waiting on a
 * state or an event instead of sleeping a fixed time.
 */
export const waitUntil = async (
  condition: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 15_000, everyMs = 10 } = {},
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
};

/** Waits until a simulated upstream has answered a call matching `call` (e.g. the batch create). */
export const waitForUpstreamCall = (simulator: Simulator | undefined, call: RegExp): Promise<void> => {
  if (!simulator) throw new Error("no simulator for this provider (a real key is set?)");
  return waitUntil(() => simulator.calls.some((c) => call.test(c)), `the upstream answered ${call}`);
};

/** The call each simulated upstream answers when a batch is created there. */
const upstreamCreate = {
  openai: /^POST \/v1\/batches$/,
  anthropic: /^POST \/v1\/messages\/batches$/,
  gemini: /:batchGenerateContent$/,
  bedrock: /^POST \/model-invocation-job$/,
} as const;

/** Waits until the gateway has created the batch upstream (so a cancel now is one the upstream hears). */
export const waitForUpstreamBatch = (
  simulators: { [P in keyof typeof upstreamCreate]?: Simulator },
  provider: keyof typeof upstreamCreate,
): Promise<void> => waitForUpstreamCall(simulators[provider], upstreamCreate[provider]);
