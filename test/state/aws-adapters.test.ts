import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { ExecutionDoesNotExist, type SFNClient } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { RetryableError } from "../../lambdas/core/errors";
import type { BatchRecord } from "../../lambdas/core/model";
import { EventBridgeBus } from "../../lambdas/state/eventbridge-bus";
import { executionName, StepFunctionsRunner } from "../../lambdas/state/sfn-runner";

/** An AWS SDK client that records each command's name and input and answers from `answer`. */
const fakeClient = (answer: (name: string, input: Record<string, unknown>) => unknown) => {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return answer(command.constructor.name, command.input);
    },
  };
  return { client, sent };
};

const machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:FinOpsBatches";
const batch = { id: "k3v9", tenant: "t1" } as BatchRecord;

describe("the Step Functions runner", () => {
  it("names executions after the batch, then {id}-r{n} for its resumptions", async () => {
    const sfn = fakeClient(() => ({}));
    const runner = new StepFunctionsRunner(sfn.client as unknown as SFNClient, machine, {} as LambdaClient, "task");
    await runner.start(batch);
    await runner.resume({ ...batch, resumes: 2 });
    expect(sfn.sent.map((c) => [c.name, c.input.name])).toEqual([
      ["StartExecutionCommand", "k3v9"],
      ["StartExecutionCommand", "k3v9-r2"],
    ]);
    expect(executionName({ id: "k3v9" })).toBe("k3v9");
  });

  it("reads the current execution's state: running, ended, or never started", async () => {
    const statuses: Record<string, string | Error> = {
      k3v9: "RUNNING",
      "k3v9-r1": "FAILED",
      "k3v9-r2": new ExecutionDoesNotExist({ message: "no such execution", $metadata: {} }),
    };
    const sfn = fakeClient((_, input) => {
      const answer = statuses[String(input.executionArn).split(":").at(-1)!]!;
      if (answer instanceof Error) throw answer;
      return { status: answer };
    });
    const runner = new StepFunctionsRunner(sfn.client as unknown as SFNClient, machine, {} as LambdaClient, "task");
    expect(await runner.running(batch)).toBe(true);
    expect(await runner.running({ ...batch, resumes: 1 })).toBe(false);
    expect(await runner.running({ ...batch, resumes: 2 })).toBe(false);
    expect(sfn.sent[0]!.input.executionArn).toBe("arn:aws:states:eu-west-1:123456789012:execution:FinOpsBatches:k3v9");
  });
});

describe("the EventBridge bus", () => {
  const event = { source: "finops.gateway", detailType: "FinOps Batch Ended", detail: { batchId: "k3v9" } };

  it("puts each event on the gateway's bus", async () => {
    const events = fakeClient(() => ({ FailedEntryCount: 0, Entries: [{ EventId: "e1" }] }));
    await new EventBridgeBus(events.client as unknown as EventBridgeClient, "finops-bus").put(event);
    expect(events.sent[0]).toEqual({
      name: "PutEventsCommand",
      input: {
        Entries: [
          {
            EventBusName: "finops-bus",
            Source: "finops.gateway",
            DetailType: "FinOps Batch Ended",
            Detail: '{"batchId":"k3v9"}',
            Resources: undefined,
          },
        ],
      },
    });
  });

  it("takes an entry EventBridge refused (a 200 with a failed entry) as a failure to retry", async () => {
    const events = fakeClient(() => ({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }],
    }));
    const put = new EventBridgeBus(events.client as unknown as EventBridgeClient, "finops-bus").put(event);
    await expect(put).rejects.toBeInstanceOf(RetryableError);
    await expect(put).rejects.toThrow(/ThrottlingException Rate exceeded/);
  });
});
