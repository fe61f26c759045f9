import middy from "@middy/core";
import { awsEngine } from "../app/aws-engine";
import { runTask, type TaskEvent } from "../app/task";

const engine = awsEngine();

/** Lambda entry point of the batch state machine's tasks: `{action, batchId, tenant, …}` → the engine. */
export const handler = middy<TaskEvent, unknown>().handler((event) => runTask(engine, event));
