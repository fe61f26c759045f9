import { StateMachine } from "aws-local-stepfunctions";
import type { TaskEvent } from "../lambdas/app/task";
import type { Route } from "../lambdas/core/batch-engine";
import type { BatchRecord } from "../lambdas/core/model";
import type { BatchRunner } from "../lambdas/core/ports";
import { batchStateMachineDefinition, batchStates, taskActions } from "../lib/batch-definition";

// aws-local-stepfunctions 3 targets Node 22; on the machine's Node 20 it needs Promise.withResolvers.
const promiseStatics = Promise as unknown as {
  withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
};
promiseStatics.withResolvers ??= <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** How fast local executions go. */
export interface LocalRunnerOptions {
  /** Milliseconds each WaitForUpstream state waits (instead of the backoff's seconds). @default 200 */
  pollWaitMs?: number;
  /** Milliseconds before a retried task runs again. @default 50 */
  retryWaitMs?: number;
  /**
   * Told of each state an execution enters or retries: the state transitions Step Functions bills (tests count
   * them). @default none
   */
  onTransition?: (batchId: string, state: string, kind: "entered" | "retried") => void;
}

/**
 * Runs the batch state machine's own definition in-process (aws-local-stepfunctions), with each task state
 * bound to the function the task Lambda runs (lambdas/app/task.ts), and waits scaled down to milliseconds.
 */
export class LocalRunner implements BatchRunner {
  private readonly machine = new StateMachine(
    batchStateMachineDefinition("arn:aws:lambda:us-east-1:000000000000:function:finops-batch-task") as never,
    {
      validationOptions: { checkArn: false },
    },
  );
  private readonly executions = new Map<string, { abort: () => void; result: Promise<unknown> }>();
  /** Task runs not yet ended (an abort stops the execution, not the task it is in). */
  private readonly tasks = new Set<Promise<Route>>();

  constructor(
    private readonly task: (event: TaskEvent) => Promise<Route>,
    private readonly options: LocalRunnerOptions = {},
  ) {}

  async start(batch: BatchRecord): Promise<void> {
    if (this.executions.has(batch.id)) return;
    const handlers = Object.fromEntries(
      Object.keys(taskActions).map((state) => [
        state,
        // The definition's Parameters already carry the action, exactly as the task Lambda receives them.
        (input: unknown) => this.track(this.task(input as TaskEvent)) as never,
      ]),
    );
    const execution = this.machine.run(
      { batchId: batch.id, tenant: batch.tenant },
      {
        overrides: {
          taskResourceLocalHandlers: handlers,
          waitTimeOverrides: { [batchStates.wait]: this.options.pollWaitMs ?? 200 },
          retryIntervalOverrides: Object.fromEntries(
            Object.keys(taskActions).map((state) => [state, this.options.retryWaitMs ?? 50]),
          ),
        },
        noThrowOnAbort: true,
      },
    );
    const onTransition = this.options.onTransition;
    const transitions = (async () => {
      if (!onTransition) return;
      for await (const event of execution.eventLogs) {
        if (event.type === "StateEntered") onTransition(batch.id, event.state.name, "entered");
        if (event.type === "StateRetried") onTransition(batch.id, event.state.name, "retried");
      }
    })();
    const result = Promise.all([execution.result, transitions])
      .catch((error: unknown) => {
        // A failed execution already marked its batch failed (MarkFailed); keep the reason in the local log.
        if (process.env.FINOPS_LOG_EXECUTIONS) console.error(`batch ${batch.id} execution failed`, error);
      })
      .finally(() => this.executions.delete(batch.id));
    this.executions.set(batch.id, { abort: execution.abort, result });
  }

  async running(batch: BatchRecord): Promise<boolean> {
    return this.executions.has(batch.id);
  }

  async resume(batch: BatchRecord): Promise<void> {
    await this.start(batch);
  }

  async cancel(batch: BatchRecord): Promise<void> {
    await this.track(this.task({ action: "cancel", batchId: batch.id, tenant: batch.tenant }));
  }

  /** Keeps a task run until it ends: an aborted execution's task still runs to its end, as a Lambda invocation does. */
  private track(run: Promise<Route>): Promise<Route> {
    this.tasks.add(run);
    const forget = () => this.tasks.delete(run);
    run.then(forget, forget);
    return run;
  }

  /** Waits for every running execution to end (tests), or aborts them. */
  async drain(abort = false): Promise<void> {
    const executions = [...this.executions.values()];
    if (abort) for (const execution of executions) execution.abort();
    await Promise.all(executions.map((e) => e.result));
    await Promise.allSettled([...this.tasks]);
  }
}
