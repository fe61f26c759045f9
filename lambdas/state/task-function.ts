import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { BatchEngine, TaskInput } from "../core/batch-engine";

/**
 * Runs one of the engine's tasks in the task function without waiting for it (an asynchronous invocation): a
 * door's cancel and the reconciler's collect and fail, with the task's permissions and its 15 minutes.
 */
export const startTask = async (
  lambda: LambdaClient,
  functionName: string,
  action: keyof BatchEngine,
  input: TaskInput,
): Promise<void> => {
  await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: "Event",
      Payload: Buffer.from(JSON.stringify({ action, ...input })),
    }),
  );
};
