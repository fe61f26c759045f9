import type { Usage } from "./chat";
import type { BatchCost, PricingBasis, Provider } from "./model";

/** One model's rates. */
export interface ModelRates {
  /** USD at on-demand rates for the usage of one request (tiered prices apply per request). */
  onDemand(usage: Usage): number;
  /** USD at the published batch rate, where the price list has one. */
  batch?(usage: Usage): number;
  /** Prices are linear in tokens: a batch's summed usage prices the same as its requests one by one. */
  linear: boolean;
  /** Where the rates come from (the dataset and its model id, or the owner's override). */
  source: string;
}

/** The price list the gateway settles batches with (a maintained dataset plus the owner's overrides). */
export interface PriceBook {
  /** Async: the price list may be loaded on first use (the dataset is large; most requests never price). */
  rates(provider: Provider, model: string): Promise<ModelRates | { unpriced: string }>;
  /**
   * Whether the provider serves the model, as the catalogue (the dataset, the owner's overrides and allow-list)
   * knows: if not, the nearest ids it does serve and another provider that serves this one.
   */
  served?(provider: Provider, model: string): Promise<ModelServed>;
}

/** What the catalogue says of a model on a provider. */
export type ModelServed = { served: true } | { served: false; nearest: string[]; servedBy?: Provider };

/** Adds one request's usage to a total (cached and reasoning tokens counted where reported). */
export const addUsage = (total: Usage, usage: Usage): void => {
  total.inputTokens += usage.inputTokens;
  total.outputTokens += usage.outputTokens;
  total.cachedInputTokens = (total.cachedInputTokens ?? 0) + (usage.cachedInputTokens ?? 0);
  total.cacheWriteTokens = (total.cacheWriteTokens ?? 0) + (usage.cacheWriteTokens ?? 0);
  total.reasoningTokens = (total.reasoningTokens ?? 0) + (usage.reasoningTokens ?? 0);
};

/** The providers' documented batch discount, used where no batch rate is published: half the on-demand price. */
export const batchDiscount = 0.5;

/** USD to a ten-billionth (per-request prices are fractions of a cent; float noise is dropped). */
export const usd = (value: number): number => Math.round(value * 1e10) / 1e10;

/**
 * Adds up a batch's cost request by request (a linear price once over the summed usage), then settles it. A
 * batch that ran on demand costs its on-demand price.
 */
export class CostMeter {
  private readonly total: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 };
  private onDemand = 0;
  private batch = 0;

  constructor(private readonly rates: ModelRates | { unpriced: string }) {}

  add(usage: Usage): void {
    addUsage(this.total, usage);
    if ("unpriced" in this.rates || this.rates.linear) return;
    this.onDemand += this.rates.onDemand(usage);
    this.batch += this.rates.batch?.(usage) ?? 0;
  }

  settle(ranOnDemand: boolean): BatchCost {
    const rates = this.rates;
    if ("unpriced" in rates)
      return { currency: "USD", batch: null, onDemand: null, saved: null, pricing: "unpriced", source: rates.unpriced };
    const onDemand = usd(rates.linear ? rates.onDemand(this.total) : this.onDemand);
    const published = rates.batch ? usd(rates.linear ? rates.batch(this.total) : this.batch) : undefined;
    const pricing: PricingBasis = ranOnDemand ? "on_demand" : published !== undefined ? "published" : "derived";
    const batch = ranOnDemand ? onDemand : (published ?? usd(onDemand * batchDiscount));
    return { currency: "USD", batch, onDemand, saved: usd(onDemand - batch), pricing, source: rates.source };
  }
}
