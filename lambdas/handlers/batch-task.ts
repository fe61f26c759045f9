import { awsEngine } from "../app/aws-engine";
import { observed } from "../app/lambda-runtime";
import { runTask, type TaskEvent } from "../app/task";
import { logger } from "../logger";

const engine = awsEngine();

/** Lambda entry point of the batch state machine's tasks: `{action, batchId, tenant, …}` → the engine. */
export const handler = observed(async (event: TaskEvent) => {
  logger.appendKeys({ batchId: event.batchId, tenant: event.tenant, action: event.action });
  return runTask(engine, event);
});
