import { readFileSync } from "node:fs";
import { join } from "node:path";

type Dataset = typeof import("@pydantic/genai-prices");

/**
 * The dataset, loaded on the first price asked: half a megabyte of JavaScript that a Lambda bundle leaves out (the
 * stack ships the package beside the bundle) and that only batch creates and settlements need.
 */
let dataset: Promise<Dataset> | undefined;
const loadDataset = (): Promise<Dataset> => {
  dataset ??= import("@pydantic/genai-prices").catch((error: unknown) => {
    dataset = undefined;
    throw error;
  });
  return dataset;
};

import * as z from "zod";
import type { Usage } from "../core/chat";
import type { Provider } from "../core/model";
import type { ModelRates, ModelServed, PriceBook } from "../core/pricing";

/** The dataset's provider ids. */
const datasetProvider: Record<Provider, string> = {
  openai: "openai",
  anthropic: "anthropic",
  gemini: "google",
  bedrock: "aws",
};

/** An owner's price for a model (USD per million tokens), e.g. a negotiated price or a model the dataset lacks. */
const override = z.object({
  input_mtok: z.number().nonnegative(),
  output_mtok: z.number().nonnegative(),
  batch_input_mtok: z.number().nonnegative().optional(),
  batch_output_mtok: z.number().nonnegative().optional(),
});
/** Overrides keyed `provider:model` (or a bare model id for every provider). */
const overrides = z.record(z.string(), override);
export type PriceOverrides = z.infer<typeof overrides>;

/** The overrides' JSON: PRICE_OVERRIDES, or the file PRICE_OVERRIDES_FILE names in the task root (as deployed). */
const overridesText = (env: NodeJS.ProcessEnv): string | undefined => {
  if (env.PRICE_OVERRIDES) return env.PRICE_OVERRIDES;
  if (!env.PRICE_OVERRIDES_FILE) return undefined;
  try {
    return readFileSync(join(env.LAMBDA_TASK_ROOT ?? ".", env.PRICE_OVERRIDES_FILE), "utf8");
  } catch {
    return "";
  }
};

/**
 * Reads the owner's overrides (JSON). A malformed value never fails a batch (its results are in by the time it is
 * priced): every batch is then settled `unpriced`, saying what to fix.
 */
export const priceOverridesFromEnv = (env: NodeJS.ProcessEnv): PriceOverrides | { invalid: string } => {
  const text = overridesText(env);
  if (text === undefined) return {};
  const parsed = overrides.safeParse(
    (() => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    })(),
  );
  if (parsed.success) return parsed.data;
  return {
    invalid:
      'PRICE_OVERRIDES is not valid: set it to JSON like {"openai:gpt-4o-mini": {"input_mtok": 0.15, ' +
      '"output_mtok": 0.6}} (USD per million tokens; batch_input_mtok and batch_output_mtok where known)',
  };
};

const perMillion = (usage: Usage, input: number, output: number) =>
  (usage.inputTokens * input + usage.outputTokens * output) / 1e6;

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
const distance = (a: string, b: string): number => {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
};

/** Up to three ids nearest `model`, close enough to be a typo of it. */
const nearestIds = (model: string, ids: readonly string[]): string[] =>
  ids
    .map((id) => ({ id, d: distance(model.toLowerCase(), id.toLowerCase()) }))
    .filter(({ d }) => d <= Math.max(2, Math.floor(model.length / 4)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map(({ id }) => id);

/** The owner's allow-list of model ids the catalogue lacks (fine-tuned, new): MODEL_ALLOWLIST, comma-separated. */
export const modelAllowlistFromEnv = (env: NodeJS.ProcessEnv): string[] =>
  (env.MODEL_ALLOWLIST ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);

/**
 * Prices from the maintained genai-prices dataset (`@pydantic/genai-prices`, pinned; update it with `npm update`),
 * over which the owner's overrides win. The dataset publishes on-demand rates, so its batch price is derived. An
 * override prices cached input as input (it names no cache-read rate).
 */
export const priceBook = (
  owned: PriceOverrides | { invalid: string } = {},
  allowed: readonly string[] = [],
): PriceBook => ({
  async served(provider, model): Promise<ModelServed> {
    const list = typeof owned.invalid === "string" ? {} : (owned as PriceOverrides);
    if (allowed.includes(model) || list[`${provider}:${model}`] || list[model]) return { served: true };
    const { calcPrice, findProvider } = await loadDataset();
    const knows = (p: Provider) =>
      calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId: datasetProvider[p] });
    if (knows(provider)) return { served: true };
    const ids = findProvider({ providerId: datasetProvider[provider] })?.models.map((m) => m.id) ?? [];
    const servedBy = (Object.keys(datasetProvider) as Provider[]).find((other) => other !== provider && knows(other));
    return { served: false, nearest: nearestIds(model, ids), ...(servedBy && { servedBy }) };
  },
  async rates(provider, model): Promise<ModelRates | { unpriced: string }> {
    if (typeof owned.invalid === "string") return { unpriced: owned.invalid };
    const list = owned as PriceOverrides;
    const own = list[`${provider}:${model}`] ?? list[model];
    if (own) {
      const { batch_input_mtok: batchIn, batch_output_mtok: batchOut } = own;
      return {
        linear: true,
        source: "owner override",
        onDemand: (usage) => perMillion(usage, own.input_mtok, own.output_mtok),
        ...(batchIn !== undefined &&
          batchOut !== undefined && { batch: (usage: Usage) => perMillion(usage, batchIn, batchOut) }),
      };
    }
    const providerId = datasetProvider[provider];
    const { calcPrice } = await loadDataset();
    const probe = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId });
    if (!probe) {
      return {
        unpriced:
          `no price for ${provider} model ${model} in the genai-prices dataset; ` +
          "the owner can set one in PRICE_OVERRIDES",
      };
    }
    // Tiered prices (by prompt length) apply per request; flat ones price a batch's summed usage at once.
    const linear = Object.values(probe.model_price).every((price) => typeof price !== "object");
    return {
      linear,
      source: `genai-prices ${probe.provider.id}/${probe.model.id}`,
      // Cache reads and writes at their own rates where the dataset has them (it counts both within input_tokens).
      onDemand: (usage) =>
        calcPrice(
          {
            input_tokens: usage.inputTokens,
            cache_read_tokens: usage.cachedInputTokens ?? 0,
            cache_write_tokens: usage.cacheWriteTokens ?? 0,
            output_tokens: usage.outputTokens,
          },
          model,
          { providerId },
        )?.total_price ?? 0,
    };
  },
});
