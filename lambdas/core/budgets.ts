import type { ChatRequest, Usage } from "./chat";
import { QuotaExceededError, RateLimitError } from "./errors";
import type { BatchRecord, Provider } from "./model";
import type { BudgetLedger } from "./ports";
import { CostMeter, type PriceBook } from "./pricing";

/** Output tokens assumed for a request that sets no `max_tokens` (most answers are far shorter). */
export const defaultOutputTokens = 1024;
/** Characters per token assumed when estimating a request's input (a common rule of thumb for English text). */
export const charactersPerToken = 4;

/** The month a spend counts in (UTC), `YYYY-MM`. */
export const monthOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7);

/** micro-USD, the ledger's unit. */
export const microUsd = (usd: number): number => Math.round(usd * 1e6);
/** micro-USD as dollars: cents, or to the micro-dollar below a cent (a small batch costs fractions of one). */
export const usdText = (micro: number): string =>
  micro !== 0 && Math.abs(micro) < 10_000 ? `$${(micro / 1e6).toFixed(6)}` : `$${(micro / 1e6).toFixed(2)}`;

/** A request's usage as estimated before it runs: its text at 4 characters a token, and its `max_tokens` out. */
export const estimatedUsage = (request: ChatRequest): Usage => {
  let characters = request.system?.length ?? 0;
  for (const message of request.messages)
    for (const part of message.content) if (part.type === "text") characters += part.text.length;
  return {
    inputTokens: Math.ceil(characters / charactersPerToken),
    outputTokens: request.maxTokens ?? defaultOutputTokens,
  };
};

/**
 * A passed-through line's usage as estimated before it runs: its body's text at 4 characters a token, and its
 * output limit out (`max_output_tokens`, `max_tokens`; none for embeddings and moderations, which answer no text).
 */
export const estimatedBodyUsage = (endpoint: string, body: Record<string, unknown>): Usage => {
  const limit = body.max_output_tokens ?? body.max_tokens;
  const answersText = endpoint !== "/v1/embeddings" && endpoint !== "/v1/moderations";
  return {
    inputTokens: Math.ceil(JSON.stringify(body).length / charactersPerToken),
    outputTokens: typeof limit === "number" ? limit : answersText ? defaultOutputTokens : 0,
  };
};

/** An embeddings request's usage as estimated before it runs: its texts at 4 characters a token, nothing out. */
export const estimatedEmbeddingUsage = (texts: readonly string[]): Usage => ({
  inputTokens: Math.ceil(texts.reduce((sum, text) => sum + text.length, 0) / charactersPerToken),
  outputTokens: 0,
});

/** An estimated usage priced at batch rates, as a reservation and an estimate price it (unpriced without rates). */
export const estimatedCost = async (deps: BudgetDeps, provider: Provider, model: string, estimate: Usage) => {
  const meter = new CostMeter((await deps.prices?.rates(provider, model)) ?? { unpriced: "no price list" });
  meter.add(estimate);
  return meter.settle(false);
};

/** What budget checks need. */
export interface BudgetDeps {
  budgets?: BudgetLedger;
  prices?: PriceBook;
  now?: () => number;
}

/**
 * Reserves a batch's estimated cost against its tenant's monthly budget before anything is created upstream, or
 * refuses it with the quota error each SDK raises, naming the budget, the spend so far and the estimate. A model
 * without a price reserves nothing (its cost is not known; it settles `unpriced`).
 */
export const reserveBudget = async (
  deps: BudgetDeps,
  input: { tenant: string; batchId: string; provider: Provider; model: string; estimate: Usage; requests: number },
): Promise<BatchRecord["budget"]> => {
  if (!deps.budgets) return undefined;
  const limit = await deps.budgets.limitOf(input.tenant);
  if (limit === undefined) return undefined;
  const amount = microUsd((await estimatedCost(deps, input.provider, input.model, input.estimate)).batch ?? 0);
  const now = deps.now?.() ?? Date.now();
  const month = monthOf(now);
  const outcome = await deps.budgets.reserve(input.tenant, month, input.batchId, amount, limit, now);
  if (!outcome.reserved && "open" in outcome)
    throw new RateLimitError(
      `This key has ${outcome.open} budgeted batches in progress, the most one key may have at once; ` +
        "create this batch when some have ended.",
      300,
    );
  if (!outcome.reserved) {
    throw new QuotaExceededError(
      `Monthly budget exceeded: this key's budget is ${usdText(limit)} for ${month}, ${usdText(outcome.committed)} is ` +
        `spent or reserved, and this batch of ${input.requests} requests is estimated at ${usdText(amount)} ` +
        `(${input.estimate.inputTokens} input tokens at ${charactersPerToken} characters a token, ` +
        `${input.estimate.outputTokens} output tokens from max_tokens or ${defaultOutputTokens} per request). ` +
        "Send fewer requests, or ask the gateway's owner to raise the budget (npm run keys -- budget).",
    );
  }
  return { month, reserved: amount };
};

/** Replaces a settled batch's reservation with its cost at batch rates, once. */
export const settleBudget = async (deps: BudgetDeps, batch: BatchRecord): Promise<void> => {
  if (!deps.budgets || !batch.budget) return;
  const actual = batch.cost ? microUsd(batch.cost.batch ?? 0) : 0;
  await deps.budgets.settle(batch.tenant, batch.budget.month, batch.id, batch.budget.reserved, actual);
};

/** A key's budget this month: its limit (none: undefined) and what is spent or reserved, in micro-USD. */
export const budgetOf = async (
  deps: BudgetDeps,
  tenant: string,
): Promise<{ month: string; limit: number | undefined; committed: number } | undefined> => {
  if (!deps.budgets) return undefined;
  const month = monthOf(deps.now?.() ?? Date.now());
  const [limit, committed] = await Promise.all([deps.budgets.limitOf(tenant), deps.budgets.committed(tenant, month)]);
  return { month, limit, committed };
};
