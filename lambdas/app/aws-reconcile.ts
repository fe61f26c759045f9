import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import type { TaskInput } from "../core/batch-engine";
import type { BatchRunner } from "../core/ports";
import type { ReconcileDeps } from "../core/reconcile";
import { DynamoBudgetLedger } from "../state/dynamo-budget-ledger";
import { DynamoRepository } from "../state/dynamo-repository";
import { startTask } from "../state/task-function";
import { required } from "./lambda-runtime";
import type { TaskEvent } from "./task";

/**
 * The reconciler's deps in AWS. Collecting or failing a batch runs in the task function (invoked asynchronously,
 * with its permissions and its 15 minutes), so the reconciler itself only reads the table and starts executions.
 */
export const awsReconcileDeps = (env: NodeJS.ProcessEnv, runner: BatchRunner): ReconcileDeps => {
  const lambda = new LambdaClient({});
  const taskFunction = required(env, "TASK_FUNCTION_NAME");
  const invoke = async (action: TaskEvent["action"], input: TaskInput) => {
    await startTask(lambda, taskFunction, action, input);
    return { next: "done" as const, waitSeconds: 0, attempt: 0 };
  };
  const dynamo = new DynamoDBClient({});
  const table = required(env, "TABLE_NAME");
  return {
    repo: new DynamoRepository(dynamo, table),
    budgets: new DynamoBudgetLedger(dynamo, table),
    runner,
    engine: { collect: (input) => invoke("collect", input), fail: (input) => invoke("fail", input) },
  };
};
