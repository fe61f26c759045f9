import type { BatchEngine } from "./batch-engine";
import { settleBudget } from "./budgets";
import { type BatchRecord, isTerminal } from "./model";
import type { BatchRunner, BudgetLedger, ObjectRepository } from "./ports";

/** What the reconciler reads and drives. */
export interface ReconcileDeps {
  repo: ObjectRepository;
  runner: BatchRunner;
  engine: Pick<BatchEngine, "collect" | "fail">;
  /** Budget reservations: holds whose batch was never written are released. @default none kept */
  budgets?: BudgetLedger;
  now?: () => number;
}

/** How patient the reconciler is. */
export interface ReconcileOptions {
  /**
   * A batch younger than this is left alone: its execution may still be starting (the API creates the record,
   * then starts it). @default 5 minutes
   */
  graceMs?: number;
  /** Executions a batch may lose before it is failed instead of resumed again. @default 3 */
  maxResumes?: number;
}

/** What one pass found and did, by batch id (logged, and published as the reconciler's metrics). */
export interface ReconcileReport {
  watched: number;
  running: number;
  resumed: string[];
  failed: string[];
  /** Batches that had ended but whose end had not been published yet. */
  published: string[];
  /** Budget reservations released: their create died before the batch was written, so nothing will settle them. */
  released: string[];
  /** Batches this pass could not act on (each tried again by the next pass), with why. */
  errors: string[];
}

/**
 * One pass over the batches the gateway still owes work: every one whose execution stopped or never started is
 * resumed with a new execution (the engine's tasks are idempotent: a recorded upstream job is polled, never made
 * again), or failed with a reason the caller can read once it has lost `maxResumes` of them; an ended batch whose
 * end was not published yet is published. In AWS a schedule runs it; local mode runs it at start, which resumes
 * every batch a stopped gateway left running.
 */
export const reconcile = async (deps: ReconcileDeps, options: ReconcileOptions = {}): Promise<ReconcileReport> => {
  const now = deps.now?.() ?? Date.now();
  const graceMs = options.graceMs ?? 5 * 60_000;
  const maxResumes = options.maxResumes ?? 3;
  const report: ReconcileReport = {
    watched: 0,
    running: 0,
    resumed: [],
    failed: [],
    published: [],
    released: [],
    errors: [],
  };
  for await (const batch of deps.repo.watched()) {
    report.watched++;
    if (now - batch.createdAt < graceMs) continue;
    // One batch that cannot be acted on never holds up the others: it is named, and the next pass tries it again.
    await reconcileOne(deps, batch, maxResumes, report).catch((error: unknown) => {
      report.errors.push(`${batch.id}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
  if (deps.budgets) await releaseOrphanHolds(deps, deps.budgets, now - graceMs, report);
  return report;
};

const reconcileOne = async (
  deps: ReconcileDeps,
  batch: BatchRecord,
  maxResumes: number,
  report: ReconcileReport,
): Promise<void> => {
  if (await deps.runner.running(batch)) {
    report.running++;
    return;
  }
  const input = { batchId: batch.id, tenant: batch.tenant };
  if (isTerminal(batch.status)) {
    await deps.engine.collect(input); // an ended batch: settles what is left and publishes its end
    report.published.push(batch.id);
    return;
  }
  const resumes = batch.resumes ?? 0;
  if (resumes >= maxResumes) {
    const cause =
      `its execution stopped ${resumes + 1} times before the batch ended, so the gateway stopped it rather ` +
      "than let it run unobserved. Create it again to retry.";
    await deps.engine
      .fail({ ...input, error: { Error: "ExecutionLost", Cause: cause } })
      .catch(() => lastResort(deps, batch, `The batch failed: ${cause}`));
    report.failed.push(batch.id);
    return;
  }
  const resumed = await deps.repo.update("batch", batch.id, { resumes: resumes + 1 }, { statusIn: [batch.status] });
  if (!resumed) return; // it moved on meanwhile: the next pass sees it again
  await deps.runner.resume(resumed);
  report.resumed.push(batch.id);
};

/**
 * The failure path itself failed (the input, the provider, the price book or a bug in the way): the batch ends
 * `failed` by one conditional write that needs none of what it needed to run, and its budget reservation is
 * released. Its end is published by the next pass, which finds it ended and still watched.
 */
const lastResort = async (deps: ReconcileDeps, batch: BatchRecord, reason: string): Promise<void> => {
  const total = batch.requestCounts.total;
  const ended = await deps.repo.update(
    "batch",
    batch.id,
    {
      status: "failed",
      failureReason: `${reason} (no error file: the gateway could not write one)`,
      requestCounts: { total, completed: 0, failed: total },
      statusTimes: { ...batch.statusTimes, failed: deps.now?.() ?? Date.now() },
    },
    { statusIn: ["validating", "queued", "in_progress", "finalizing", "cancelling"] },
  );
  if (ended) await settleBudget(deps, ended);
};

/**
 * Budget reservations older than `before` whose batch does not exist are released: the create that made them died
 * between the reservation and the batch write (or that write failed), and no batch will ever settle them. One whose
 * batch ended without settling is settled now; one whose batch runs is left to it.
 */
const releaseOrphanHolds = async (
  deps: ReconcileDeps,
  budgets: BudgetLedger,
  before: number,
  report: ReconcileReport,
): Promise<void> => {
  for await (const hold of budgets.openHolds()) {
    if (hold.reservedAt > before) continue;
    const batch = await deps.repo.get("batch", hold.tenant, hold.batchId);
    if (batch) {
      if (isTerminal(batch.status) && !batch.watch) await settleBudget({ budgets }, batch);
      continue;
    }
    await budgets.settle(hold.tenant, hold.month, hold.batchId, hold.amount, 0);
    report.released.push(hold.batchId);
  }
};
