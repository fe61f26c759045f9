import { LambdaClient } from "@aws-sdk/client-lambda";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { BatchRunner } from "../core/ports";
import { StepFunctionsRunner } from "../state/sfn-runner";
import { required } from "./lambda-runtime";

/** Batches start through Step Functions (STATE_MACHINE_ARN, TASK_FUNCTION_NAME), set where the stack allows it. */
export const runnerFromEnv = (env: NodeJS.ProcessEnv): BatchRunner => {
  let runner: StepFunctionsRunner | undefined;
  const get = () => {
    runner ??= new StepFunctionsRunner(
      new SFNClient({}),
      required(env, "STATE_MACHINE_ARN"),
      new LambdaClient({}),
      required(env, "TASK_FUNCTION_NAME"),
    );
    return runner;
  };
  return {
    start: (batch) => get().start(batch),
    cancel: (batch) => get().cancel(batch),
    running: (batch) => get().running(batch),
    resume: (batch) => get().resume(batch),
  };
};
