import { awsFocusDeliveryDeps } from "../app/aws-focus-delivery";
import { deliverFocus } from "../app/focus-delivery";
import { observed } from "../app/lambda-runtime";
import { logger } from "../logger";

const deps = awsFocusDeliveryDeps(process.env);

/**
 * Lambda entry point of the daily FOCUS delivery (lambdas/app/focus-delivery.ts), run on a schedule: the previous
 * and the current month's FOCUS files, Parquet and CSV, rewritten in the reports bucket.
 */
export const handler = observed(async () => {
  const delivered = await deliverFocus(deps);
  logger.info("focus delivered", { delivered });
  return delivered;
});
