/**
 * Provider quotas as settings: a number for every model, or `model=number` pairs with `*=number` for the rest
 * (`BEDROCK_JOBS_PER_MODEL="20"`, `OPENAI_ENQUEUED_TOKENS="gpt-4o-mini=2000000,*=90000"`).
 */
export type PerModel = (model: string) => number;

/** Reads a per-model setting; an unset or unreadable one is `fallback` for every model. */
export const perModel = (value: string | undefined, fallback: number): PerModel => {
  const limits = new Map<string, number>();
  let rest = fallback;
  for (const entry of (value ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [name, count] = entry.includes("=") ? entry.split("=", 2) : ["*", entry];
    const limit = Number(count);
    if (!Number.isFinite(limit) || limit < 0) continue;
    if (name?.trim() === "*") rest = limit;
    else limits.set(name?.trim() ?? "", limit);
  }
  return (model) => limits.get(model) ?? rest;
};
