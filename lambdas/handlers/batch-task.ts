import middy from "@middy/core";
import { type BatchEngine, createBatchEngine, type TaskInput } from "../core/batch-engine";
import { engineDepsFromEnv } from "../state/aws-deps";

type TaskEvent = TaskInput & { action: keyof BatchEngine };

let engine: Promise<BatchEngine> | undefined;

/** Lambda entry point of the batch state machine's tasks: `{action, batchId, tenant, …}` → the engine. */
export const handler = middy<TaskEvent, unknown>().handler(async (event) => {
  engine ??= engineDepsFromEnv()
    .then(createBatchEngine)
    .catch((error: unknown) => {
      engine = undefined; // try again on the next invocation
      throw error;
    });
  return (await engine)[event.action](event);
});
