import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { BatchRecord } from "../core/model";
import type { BatchRunner } from "../core/ports";

/** Starts one Step Functions execution per batch, named after it (so a retried start never makes two). */
export class StepFunctionsRunner implements BatchRunner {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
    private readonly lambda: LambdaClient,
    private readonly taskFunction: string,
  ) {}

  async start(batch: BatchRecord): Promise<void> {
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: batch.id,
          input: JSON.stringify({ batchId: batch.id, tenant: batch.tenant }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }

  /** Runs the engine's cancel task asynchronously, so the API answers at once and the upstream hears of it now. */
  async cancel(batch: BatchRecord): Promise<void> {
    await this.lambda.send(
      new InvokeCommand({
        FunctionName: this.taskFunction,
        InvocationType: "Event",
        Payload: Buffer.from(JSON.stringify({ action: "cancel", batchId: batch.id, tenant: batch.tenant })),
      }),
    );
  }
}
