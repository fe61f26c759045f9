/**
 * The ledger as FOCUS rows (the FinOps Foundation's cost and usage format; FOCUS 1.2 with the 1.3 columns that
 * replace its deprecated ones also filled): one row per settled batch × token kind × UTC day its upstream jobs ended.
 * A batch's price is the list price of its SKU (the batch rate), and what it cost is what it billed, so `ListCost`,
 * `BilledCost`, `EffectiveCost` and `ContractedCost` agree; the on-demand equivalent, the saving and where the price
 * came from are `x_` columns. The rows of a batch add up to its settled cost exactly.
 */

import { estimatedCost } from "./budgets";
import type { Usage } from "./chat";
import type { Deployment } from "./deps";
import { type FocusRow, focusDateTime } from "./focus-layout";
import { type BatchRecord, isTerminal, lastStatusTime, type Provider } from "./model";
import { addUsage, batchDiscount, type PriceBook, usd } from "./pricing";

/** The token kinds a row counts, each priced at its own rate. */
export const tokenKinds = ["input", "cached input", "cache write", "output", "reasoning"] as const;
export type TokenKind = (typeof tokenKinds)[number];

/** Who runs each provider's batches, as FOCUS names them. */
const providerNames: Record<Provider, { provider: string; service: string }> = {
  openai: { provider: "OpenAI", service: "OpenAI Batch API" },
  anthropic: { provider: "Anthropic", service: "Anthropic Message Batches" },
  gemini: { provider: "Google", service: "Gemini Batch API" },
  bedrock: { provider: "Amazon Web Services", service: "Amazon Bedrock" },
};

/** Who makes a model (its publisher), from its id; the provider's own otherwise. */
const publisherOf = (provider: Provider, model: string): string => {
  const families: [RegExp, string][] = [
    [/claude|anthropic/i, "Anthropic"],
    [/gpt|^o\d|openai/i, "OpenAI"],
    [/gemini|gemma|google/i, "Google"],
    [/nova|titan|amazon/i, "Amazon"],
    [/llama|meta/i, "Meta"],
    [/mistral|mixtral/i, "Mistral AI"],
    [/cohere|command|embed-/i, "Cohere"],
  ];
  return families.find(([pattern]) => pattern.test(model))?.[1] ?? providerNames[provider].provider;
};

/** A batch's usage of one token kind alone (cached and cache-write tokens are input; reasoning is output). */
const usageOf = (usage: Usage, kind: TokenKind): Usage => {
  const cached = usage.cachedInputTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const reasoning = usage.reasoningTokens ?? 0;
  switch (kind) {
    case "input":
      return { inputTokens: Math.max(0, usage.inputTokens - cached - written), outputTokens: 0 };
    case "cached input":
      return { inputTokens: cached, cachedInputTokens: cached, outputTokens: 0 };
    case "cache write":
      return { inputTokens: written, cacheWriteTokens: written, outputTokens: 0 };
    case "output":
      return { inputTokens: 0, outputTokens: Math.max(0, usage.outputTokens - reasoning) };
    case "reasoning":
      return { inputTokens: 0, outputTokens: reasoning, reasoningTokens: reasoning };
  }
};

const quantityOf = (usage: Usage): number => usage.inputTokens + usage.outputTokens;

/** Shares of `total` in proportion to `weights`, each rounded, the rounding left on the largest: they sum to `total`. */
const apportioned = (total: number, weights: number[]): number[] => {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const shares = weights.map((w) => usd((total * w) / sum));
  const largest = weights.indexOf(Math.max(...weights));
  shares[largest] = usd(total - shares.reduce((a, b, i) => (i === largest ? a : a + b), 0));
  return shares;
};

const dayStart = (ms: number) =>
  Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth(), new Date(ms).getUTCDate());
const monthStart = (ms: number, plus = 0) =>
  Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth() + plus, 1);

/** What the rows need beyond the batches. */
export interface FocusContext {
  deployment: Deployment;
  /** The price list, whose rates split each batch's cost by token kind. */
  prices?: PriceBook;
  /** A batch's id in every SDK's form. */
  ids: (batch: BatchRecord) => Record<string, string>;
  /** The credential's name of a tenant, where it is known. */
  accountName?: (tenant: string) => string | undefined;
  /** Rows for batches still running too, at their estimate (`x_CostStatus` `estimate`). @default false */
  estimates?: boolean;
}

/**
 * What a batch's rows charge: its settled cost, split by the days its jobs ended; or, while it still runs (when
 * estimates are asked for), its estimate at create on the day it was created. Undefined: no row (an unpriced
 * batch has no cost to put in one, and is left out, never priced at 0).
 */
const chargesOf = async (batch: BatchRecord, context: FocusContext) => {
  const cost = batch.cost;
  if (cost && cost.batch !== null && cost.onDemand !== null && batch.usage)
    return { cost, status: "settled", days: chargeDays(batch, cost.batch, cost.onDemand) };
  if (!context.estimates || cost || isTerminal(batch.status) || !batch.estimatedUsage) return undefined;
  const estimate = await estimatedCost(
    { prices: context.prices },
    batch.provider,
    batch.model ?? "",
    batch.estimatedUsage,
  );
  if (estimate.batch === null || estimate.onDemand === null) return undefined;
  const day = {
    day: dayStart(batch.createdAt),
    usage: batch.estimatedUsage,
    billed: estimate.batch,
    onDemand: estimate.onDemand,
  };
  return { cost: estimate, status: "estimate", days: [day] };
};

/**
 * The FOCUS rows of settled, priced batches — and, with `estimates`, of batches still running, at their estimate:
 * one per token kind and day.
 */
export const focusRows = async (batches: Iterable<BatchRecord>, context: FocusContext): Promise<FocusRow[]> => {
  const rows: FocusRow[] = [];
  for (const batch of batches) {
    const charges = await chargesOf(batch, context);
    if (!charges) continue;
    const { cost } = charges;
    const found = await context.prices?.rates(batch.provider, batch.model ?? "");
    const rates = found && !("unpriced" in found) ? found : undefined;
    const { provider, service } = providerNames[batch.provider];
    const model = batch.model ?? "";
    const source = /override/i.test(cost.source) ? "override" : cost.pricing;
    const ids = context.ids(batch);
    const tier = cost.pricing === "on_demand" ? "on-demand" : "batch";
    for (const share of charges.days) {
      const ended = share.day;
      const kinds = tokenKinds
        .map((kind) => ({ kind, usage: usageOf(share.usage, kind) }))
        .filter(({ usage }) => quantityOf(usage) > 0);
      const onDemandWeights = kinds.map(({ usage }) => rates?.onDemand(usage) ?? quantityOf(usage));
      const batchWeights = kinds.map(({ usage }, i) =>
        cost.pricing === "on_demand"
          ? onDemandWeights[i]!
          : (rates?.batch?.(usage) ?? onDemandWeights[i]! * batchDiscount),
      );
      const billed = apportioned(share.billed, batchWeights);
      const onDemand = apportioned(share.onDemand, onDemandWeights);
      kinds.forEach(({ kind, usage }, i) => {
        const quantity = quantityOf(usage);
        const unitPrice = quantity > 0 ? billed[i]! / quantity : 0;
        const sku = `${batch.provider}:${model}:${kind.replace(" ", "-")}`;
        rows.push({
          AvailabilityZone: null,
          BilledCost: billed[i]!,
          BillingAccountId: context.deployment.accountId,
          BillingAccountName: "FinOps batch gateway",
          BillingAccountType: "Gateway deployment",
          BillingCurrency: cost.currency,
          BillingPeriodEnd: focusDateTime(monthStart(ended, 1)),
          BillingPeriodStart: focusDateTime(monthStart(ended)),
          CapacityReservationId: null,
          CapacityReservationStatus: null,
          ChargeCategory: "Usage",
          ChargeClass: null,
          ChargeDescription: `${service}: ${model} ${kind} tokens at ${tier} rates`,
          ChargeFrequency: "Usage-Based",
          ChargePeriodEnd: focusDateTime(dayStart(ended) + 86_400_000),
          ChargePeriodStart: focusDateTime(dayStart(ended)),
          CommitmentDiscountCategory: null,
          CommitmentDiscountId: null,
          CommitmentDiscountName: null,
          CommitmentDiscountQuantity: null,
          CommitmentDiscountStatus: null,
          CommitmentDiscountType: null,
          CommitmentDiscountUnit: null,
          ConsumedQuantity: quantity,
          ConsumedUnit: "Tokens",
          ContractedCost: billed[i]!,
          ContractedUnitPrice: unitPrice,
          EffectiveCost: billed[i]!,
          HostProviderName: provider,
          InvoiceId: null,
          InvoiceIssuerName: provider,
          ListCost: billed[i]!,
          ListUnitPrice: unitPrice,
          PricingCategory: "Standard",
          PricingCurrency: cost.currency,
          PricingCurrencyContractedUnitPrice: unitPrice,
          PricingCurrencyEffectiveCost: billed[i]!,
          PricingCurrencyListUnitPrice: unitPrice,
          PricingQuantity: quantity,
          PricingUnit: "Tokens",
          ProviderName: provider,
          PublisherName: publisherOf(batch.provider, model),
          RegionId: batch.provider === "bedrock" ? context.deployment.region : null,
          RegionName: batch.provider === "bedrock" ? context.deployment.region : null,
          ResourceId: ids[batch.dialect] ?? batch.id,
          ResourceName: (batch.dialectFields?.name as string | undefined) ?? batch.id,
          ResourceType: "Batch",
          ServiceCategory: "AI and Machine Learning",
          ServiceName: service,
          ServiceProviderName: provider,
          ServiceSubcategory: "Generative AI",
          SkuId: sku,
          SkuMeter: `${kind[0]!.toUpperCase()}${kind.slice(1)} Tokens`,
          SkuPriceDetails: JSON.stringify({ TokenKind: kind, PriceTier: tier }),
          SkuPriceId: `${sku}:${tier}`,
          SubAccountId: batch.tenant,
          SubAccountName: context.accountName?.(batch.tenant) ?? null,
          SubAccountType: "Gateway credential",
          Tags: JSON.stringify(batch.tags ?? {}),
          x_BatchId: batch.id,
          x_BatchIds: JSON.stringify(ids),
          x_CostStatus: charges.status,
          x_Dialect: batch.dialect,
          x_Model: model,
          x_OnDemandCost: onDemand[i]!,
          x_PricingSource: source,
          x_RetryRun: cost.retries ? "includes retries" : null,
          x_Saving: usd(onDemand[i]! - billed[i]!),
          x_TokenKind: kind,
        });
      });
    }
  }
  return rows;
};

/** What a batch used and cost on one UTC day (`day` its start). */
interface DayShare {
  day: number;
  usage: Usage;
  billed: number;
  onDemand: number;
}

const sameUsage = (a: Usage, b: Usage) =>
  a.inputTokens === b.inputTokens &&
  a.outputTokens === b.outputTokens &&
  (a.cachedInputTokens ?? 0) === (b.cachedInputTokens ?? 0) &&
  (a.cacheWriteTokens ?? 0) === (b.cacheWriteTokens ?? 0) &&
  (a.reasoningTokens ?? 0) === (b.reasoningTokens ?? 0);

/**
 * The UTC days a batch's usage fell on: each upstream job's usage on the day it ended, the batch's cost split between
 * the days by what each day's jobs cost (so the days add up to it exactly). A batch whose jobs do not account for all
 * its usage (one settled before jobs kept theirs) is charged whole to the day it settled.
 */
export const chargeDays = (batch: BatchRecord, billed: number, onDemand: number): DayShare[] => {
  const whole = [{ day: dayStart(lastStatusTime(batch)), usage: batch.usage!, billed, onDemand }];
  const byDay = new Map<number, { usage: Usage; billed: number; onDemand: number }>();
  const total: Usage = { inputTokens: 0, outputTokens: 0 };
  for (const part of batch.parts ?? []) {
    if (part.endedAt === undefined || !part.usage) continue;
    const day = dayStart(part.endedAt);
    const held = byDay.get(day) ?? { usage: { inputTokens: 0, outputTokens: 0 }, billed: 0, onDemand: 0 };
    byDay.set(day, held);
    const tokens = quantityOf(part.usage);
    addUsage(held.usage, part.usage);
    held.billed += part.cost?.batch ?? tokens;
    held.onDemand += part.cost?.onDemand ?? tokens;
    addUsage(total, part.usage);
  }
  if (byDay.size === 0 || !sameUsage(total, batch.usage!)) return whole;
  const days = [...byDay.entries()].sort(([a], [b]) => a - b);
  const billedShares = apportioned(
    billed,
    days.map(([, share]) => share.billed),
  );
  const onDemandShares = apportioned(
    onDemand,
    days.map(([, share]) => share.onDemand),
  );
  return days.map(([day, share], i) => ({
    day,
    usage: share.usage,
    billed: billedShares[i]!,
    onDemand: onDemandShares[i]!,
  }));
};

/** How long after its last job ended a batch may settle: a period's rows are read from batches settled this long after. */
const settleLagMs = 8 * 86_400_000;

/**
 * Whether a batch may have rows charged within `[from, to)`: it settled in it or up to `settleLagMs` after (its jobs
 * ended before it settled), or — with `estimates` — it still runs and was created in it. {@link rowsCharged} then
 * keeps the rows that fall in the period.
 */
export const mayChargeIn = (batch: BatchRecord, period: { from: number; to: number }, estimates: boolean): boolean => {
  if (batch.cost) {
    const settled = lastStatusTime(batch);
    return settled >= period.from && settled < period.to + settleLagMs;
  }
  return estimates && !isTerminal(batch.status) && batch.createdAt >= period.from && batch.createdAt < period.to;
};

/** The rows charged within `[from, to)` (UTC milliseconds). */
export const rowsCharged = (rows: readonly FocusRow[], period: { from: number; to: number }): FocusRow[] =>
  rows.filter((row) => {
    const at = Date.parse(String(row.ChargePeriodStart));
    return at >= period.from && at < period.to;
  });
