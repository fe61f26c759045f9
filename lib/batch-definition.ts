import { TaskErrorName } from "../lambdas/core/errors";

/**
 * The batch state machine, in Amazon States Language, defined once: the stack deploys it with the task
 * Lambda's ARN, and local mode runs the same definition with the tasks bound to local functions.
 *
 *   Submit ─▶ Route ─▶ WaitForUpstream ─▶ Poll ─▶ Route … ─▶ Collect ─▶ Done
 *      └──────────── any failure ─────────────▶ MarkFailed ─▶ Failed
 *
 * Each task returns a route `{next, waitSeconds, attempt}`; the poll interval backs off inside the engine
 * (lambdas/core/batch-engine.ts), so a 24 h batch costs a few hundred transitions, not thousands.
 */
export const batchStates = {
  submit: "Submit",
  route: "Route",
  wait: "WaitForUpstream",
  poll: "Poll",
  collect: "Collect",
  markFailed: "MarkFailed",
  failed: "Failed",
  done: "Done",
} as const;

/** The task states, each one action of the engine. */
export const taskActions = {
  [batchStates.submit]: "submit",
  [batchStates.poll]: "poll",
  [batchStates.collect]: "collect",
  [batchStates.markFailed]: "fail",
} as const;

/**
 * Errors worth retrying: the gateway's transient failures (one shared name, thrown by lambdas/core/errors.ts) and
 * Lambda's service-side ones. Nothing else is retried: an upstream 4xx or a bad input fails the batch at once,
 * with its reason, instead of failing again twice more.
 */
const transientErrors = [
  TaskErrorName.retryable,
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
  "Lambda.Unknown",
  "Sandbox.Timedout",
];

const retry = [
  {
    ErrorEquals: transientErrors,
    IntervalSeconds: 5,
    BackoffRate: 2,
    MaxAttempts: 6,
    MaxDelaySeconds: 300,
    JitterStrategy: "FULL",
  },
];

/**
 * How long a task may run: the task Lambda's own timeout. Explicit, since a Task state without `TimeoutSeconds`
 * times out after the States Language's default of 60 s where that default is applied (the local executor applies
 * it), which would fail a batch whose conversion takes longer.
 */
export const taskTimeoutSeconds = 900;

const task = (resource: string, action: string, next: string, extra: Record<string, string> = {}) => ({
  Type: "Task",
  Resource: resource,
  TimeoutSeconds: taskTimeoutSeconds,
  Parameters: { action, "batchId.$": "$.batchId", "tenant.$": "$.tenant", ...extra },
  ResultPath: "$.route",
  Retry: retry,
  Next: next,
});

const onFailure = [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: batchStates.markFailed }];

/** The definition for a task resource (the task Lambda's ARN in AWS, any ARN locally). */
export const batchStateMachineDefinition = (taskResource: string) => ({
  Comment: "FinOps batch: submit upstream, poll with backoff, collect converted results",
  StartAt: batchStates.submit,
  States: {
    [batchStates.submit]: { ...task(taskResource, "submit", batchStates.route), Catch: onFailure },
    [batchStates.route]: {
      Type: "Choice",
      Choices: [
        { Variable: "$.route.next", StringEquals: "collect", Next: batchStates.collect },
        { Variable: "$.route.next", StringEquals: "done", Next: batchStates.done },
      ],
      Default: batchStates.wait,
    },
    [batchStates.wait]: { Type: "Wait", SecondsPath: "$.route.waitSeconds", Next: batchStates.poll },
    [batchStates.poll]: {
      ...task(taskResource, "poll", batchStates.route, { "attempt.$": "$.route.attempt" }),
      Catch: onFailure,
    },
    [batchStates.collect]: { ...task(taskResource, "collect", batchStates.done), Catch: onFailure },
    [batchStates.markFailed]: task(taskResource, "fail", batchStates.failed, { "error.$": "$.error" }),
    // The batch failed and says why: the execution did its job, so it succeeds. A failed execution then means
    // the gateway itself broke (MarkFailed could not run), which is what the state machine's alarm watches for.
    [batchStates.failed]: {
      Type: "Succeed",
      Comment: "The batch failed; its reason is on the batch.",
    },
    [batchStates.done]: { Type: "Succeed" },
  },
});
