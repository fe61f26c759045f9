import { awsReconcileDeps } from "../app/aws-reconcile";
import { runnerFromEnv } from "../app/aws-runner";
import { observed } from "../app/lambda-runtime";
import { reconcile } from "../core/reconcile";
import { logger } from "../logger";
import { reconcileMetrics } from "../metrics";

const deps = awsReconcileDeps(process.env, runnerFromEnv(process.env));

/**
 * Lambda entry point of the reconciler, run on a schedule: resumes batches whose execution stopped or never
 * started, fails those that lost too many, publishes ends that were not published,
 * releases budget reservations whose batch was never written (lambdas/core/reconcile.ts).
 */
export const handler = observed(async () => {
  const report = await reconcile(deps);
  reconcileMetrics(report);
  if (report.resumed.length + report.failed.length + report.published.length + report.released.length > 0)
    logger.warn("reconciled", { ...report });
  else logger.info("reconciled", { ...report });
  // The pass went on past them; failing the invocation is what raises the reconciler's fault alarm.
  if (report.errors.length > 0) throw new Error(`The reconciler could not act on: ${report.errors.join("; ")}`);
  return report;
});
