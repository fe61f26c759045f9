import { describe, expect, it } from "vitest";
import { parseProviderKeys } from "../../lambdas/app/aws-engine";
import { runTask, toTaskError } from "../../lambdas/app/task";
import type { BatchEngine, Route } from "../../lambdas/core/batch-engine";
import {
  BadRequestError,
  ConfigurationError,
  RetryableError,
  TaskErrorName,
  UpstreamError,
} from "../../lambdas/core/errors";
import { logger } from "../../lambdas/logger";

/** An AWS SDK v3 service exception as the SDK throws it. */
const awsError = (name: string, fault: "client" | "server", status: number, retryable?: object) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    $retryable: retryable,
  });

describe("how a task failure reaches the state machine", () => {
  it.each([
    ["a gateway's retryable error", new RetryableError("openai answered 503"), TaskErrorName.retryable],
    ["an upstream 4xx", new UpstreamError("openai answered 400"), TaskErrorName.permanent],
    ["a bad configuration", new ConfigurationError("no key"), TaskErrorName.permanent],
    ["a bad input line", new BadRequestError("Line 3: not valid JSON"), "BadRequestError"],
    [
      "DynamoDB throttling after the SDK's retries",
      awsError("ProvisionedThroughputExceededException", "client", 400, { throttling: true }),
      TaskErrorName.retryable,
    ],
    ["an S3 500", awsError("InternalError", "server", 500), TaskErrorName.retryable],
    [
      "a dropped connection",
      Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      TaskErrorName.retryable,
    ],
    ["an AWS access denial", awsError("AccessDeniedException", "client", 403), "AccessDeniedException"],
    ["a bug", new TypeError("x is undefined"), "TypeError"],
  ])("%s → %s", (_, error, name) => {
    const failure = toTaskError(error) as Error;
    expect(failure.name).toBe(name);
    expect(failure.message).toContain(error.message);
  });
});

describe("runTask", () => {
  const capture = async (run: () => Promise<unknown>): Promise<Record<string, unknown>[]> => {
    const written: string[] = [];
    const originals = [process.stdout.write, process.stderr.write] as const;
    const level = logger.getLevelName();
    logger.setLogLevel("DEBUG");
    const sink = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = sink;
    process.stderr.write = sink;
    try {
      await run().catch(() => undefined);
    } finally {
      [process.stdout.write, process.stderr.write] = originals;
      logger.setLogLevel(level);
    }
    return written
      .flatMap((c) => c.split("\n"))
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  const engine = (poll: () => Promise<Route>) => ({ poll }) as unknown as BatchEngine;

  it("logs each task with its batch id and tenant hash, and the failure as the state machine will see it", async () => {
    const lines = await capture(() =>
      runTask(
        engine(async () => {
          throw awsError("ThrottlingException", "client", 400, { throttling: true });
        }),
        { action: "poll", batchId: "b-1", tenant: "0123abcd" },
      ),
    );
    const failure = lines.find((l) => l.message === "task failed");
    expect(failure).toMatchObject({ batchId: "b-1", tenant: "0123abcd", action: "poll" });
    expect(JSON.stringify(failure?.error)).toContain(TaskErrorName.retryable);
  });

  it("leaves no batch's keys on the shared logger, so the next task's lines are its own", async () => {
    await runTask(
      engine(async () => ({ next: "done", waitSeconds: 0, attempt: 0 })),
      {
        action: "poll",
        batchId: "b-2",
        tenant: "t",
      },
    );
    const [line] = await capture(async () => logger.info("after"));
    expect(line?.batchId).toBeUndefined();
  });
});

describe("the provider keys secret", () => {
  it("reads a JSON object of keys; {} is no keys", () => {
    expect(parseProviderKeys('{"OPENAI_API_KEY":"sk-1"}', "s")).toEqual({ OPENAI_API_KEY: "sk-1" });
    expect(parseProviderKeys("{}", "s")).toEqual({});
  });

  it.each([
    ["not JSON", "sk-just-a-key", /is not JSON/],
    ["not an object", '["sk-1"]', /is not a JSON object/],
    ["a key that is not a string", '{"OPENAI_API_KEY": 42}', /OPENAI_API_KEY is not a string/],
  ])("fails loudly, saying how to fix it, when it is %s", (_, text, message) => {
    expect(() => parseProviderKeys(text, "arn:secret")).toThrow(message);
    expect(() => parseProviderKeys(text, "arn:secret")).toThrow(ConfigurationError);
  });
});
