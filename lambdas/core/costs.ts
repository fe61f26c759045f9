import { untagged } from "./allocation";
import { BadRequestError } from "./errors";
import type { FileDeps } from "./files";
import type { BatchRecord } from "./model";
import { usd } from "./pricing";

/** How a cost report groups batches: by a fixed field, or by a cost allocation tag's value (`tag:team`). */
export const costGroupings = ["day", "model", "provider", "dialect"] as const;
export type CostGrouping = (typeof costGroupings)[number] | `tag:${string}`;

/** Whether `text` names a grouping (`tag:` needs a key). */
export const isCostGrouping = (text: string): text is CostGrouping =>
  (costGroupings as readonly string[]).includes(text) || /^tag:.+$/.test(text);

/** One group of a cost report: settled batches and what they cost, used and saved. */
export interface CostGroup {
  group: string;
  batches: number;
  /** Batches in the group with no price (counted, never priced at 0). */
  unpricedBatches: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
  onDemand: number;
  saved: number;
  /** What rows run again after failing for a transient reason cost, within `cost`. */
  retries: number;
}

/** The group a batch falls in. */
export const groupOf = (batch: BatchRecord, by: CostGrouping): string => {
  if (by.startsWith("tag:")) return batch.tags?.[by.slice("tag:".length)] ?? untagged;
  if (by === "day") return new Date(batch.createdAt).toISOString().slice(0, 10);
  if (by === "model") return batch.model ?? "";
  return by === "provider" ? batch.provider : batch.dialect;
};

/** Settled batches summed per group (by name order): batches, tokens, cost, on-demand equivalent and saving. */
export const groupCosts = (batches: Iterable<BatchRecord>, groupFor: (batch: BatchRecord) => string): CostGroup[] => {
  const groups = new Map<string, CostGroup>();
  for (const batch of batches) {
    if (!batch.cost) continue;
    const name = groupFor(batch);
    const group = groups.get(name) ?? {
      group: name,
      batches: 0,
      unpricedBatches: 0,
      inputTokens: 0,
      outputTokens: 0,
      cost: 0,
      onDemand: 0,
      saved: 0,
      retries: 0,
    };
    group.batches++;
    group.inputTokens += batch.usage?.inputTokens ?? 0;
    group.outputTokens += batch.usage?.outputTokens ?? 0;
    if (batch.cost.batch === null) group.unpricedBatches++;
    group.cost = usd(group.cost + (batch.cost.batch ?? 0));
    group.onDemand = usd(group.onDemand + (batch.cost.onDemand ?? 0));
    group.saved = usd(group.saved + (batch.cost.saved ?? 0));
    group.retries = usd(group.retries + (batch.cost.retries ?? 0));
    groups.set(name, group);
  }
  return [...groups.values()].sort((a, b) => a.group.localeCompare(b.group));
};

/**
 * The tenant's batches that `keep` takes among those that may have ended from `since` on (newest first; a batch
 * created more than a week before cannot have).
 */
export const batchesSince = async (
  deps: FileDeps,
  tenant: string,
  since: number,
  keep: (batch: BatchRecord) => boolean,
): Promise<BatchRecord[]> => {
  const kept: BatchRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await deps.repo.list("batch", tenant, { limit: 100, order: "desc", after });
    kept.push(...page.items.filter(keep));
    const oldest = page.items.at(-1);
    // A batch runs at most its 24-hour window and a few days of retries: older creates cannot settle in the period.
    if (!page.hasMore || !oldest || oldest.createdAt < since - 7 * 86_400_000) break;
    after = oldest.id;
  }
  return kept;
};

/**
 * The tenant's settled batches created in `[from, to)`, grouped: what they cost at batch rates, the same usage on
 * demand, and what was saved. Read from each batch's settled cost, so a report never prices anything again.
 */
export const costReport = async (
  deps: FileDeps,
  tenant: string,
  query: { from: number; to: number; groupBy: CostGrouping },
): Promise<CostGroup[]> => {
  if (!(query.from < query.to)) throw new BadRequestError("'from' must be before 'to'.", { param: "from" });
  const inRange: BatchRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await deps.repo.list("batch", tenant, { limit: 100, order: "desc", after });
    for (const batch of page.items)
      if (batch.createdAt >= query.from && batch.createdAt < query.to) inRange.push(batch);
    const oldest = page.items.at(-1);
    if (!page.hasMore || !oldest || oldest.createdAt < query.from) break;
    after = oldest.id;
  }
  return groupCosts(inRange, (batch) => groupOf(batch, query.groupBy));
};
