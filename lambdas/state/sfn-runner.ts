import type { LambdaClient } from "@aws-sdk/client-lambda";
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import type { BatchRecord } from "../core/model";
import type { BatchRunner } from "../core/ports";
import { startTask } from "./task-function";

/** A batch's current execution: named after the batch, then `{id}-r{n}` for its n-th resumption. */
export const executionName = (batch: Pick<BatchRecord, "id" | "resumes">): string =>
  batch.resumes ? `${batch.id}-r${batch.resumes}` : batch.id;

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
          name: executionName(batch),
          input: JSON.stringify({ batchId: batch.id, tenant: batch.tenant }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }

  async resume(batch: BatchRecord): Promise<void> {
    await this.start(batch);
  }

  async running(batch: BatchRecord): Promise<boolean> {
    // arn:…:stateMachine:{name} → arn:…:execution:{name}:{execution}
    const executionArn = `${this.stateMachineArn.replace(":stateMachine:", ":execution:")}:${executionName(batch)}`;
    try {
      const { status } = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return status === "RUNNING" || status === "PENDING_REDRIVE";
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return false; // never started, or aged out of the history
      throw error;
    }
  }

  /** Runs the engine's cancel task asynchronously, so the API answers at once and the upstream hears of it now. */
  async cancel(batch: BatchRecord): Promise<void> {
    await startTask(this.lambda, this.taskFunction, "cancel", { batchId: batch.id, tenant: batch.tenant });
  }
}
