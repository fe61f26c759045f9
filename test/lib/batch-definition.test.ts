import { describe, expect, it } from "vitest";
import type { TaskEvent } from "../../lambdas/app/task";
import { runTask } from "../../lambdas/app/task";
import { defaultPollSchedule, describeFailure, pollDelaySeconds, type Route } from "../../lambdas/core/batch-engine";
import { createBatch } from "../../lambdas/core/batches";
import { ConfigurationError, RetryableError, UpstreamError } from "../../lambdas/core/errors";
import type { BatchRecord } from "../../lambdas/core/model";
import type { ProviderAdapter } from "../../lambdas/core/ports";
import { LocalRunner } from "../../local/local-runner";
import { chatLines } from "../support/batches";
import { batchInputFile, memoryGateway } from "../support/memory";

/**
 * Runs one batch through the deployed state machine definition (the local executor) and the real engine, on a
 * clock that each Wait state moves on by its `waitSeconds`, against an upstream that ends after `upstreamSeconds`.
 * Returns the state transitions Step Functions would bill (states entered and retried) and the polls.
 */
const simulateBatch = async (upstreamSeconds: number) => {
  let clock = Date.UTC(2026, 11, 2);
  const start = clock;
  let polls = 0;
  const upstream: ProviderAdapter = {
    submit: async () => ({ id: "up-1", mode: "batch" }),
    status: async () => {
      polls++;
      const ended = clock - start >= upstreamSeconds * 1000;
      return { status: ended ? "completed" : "in_progress", counts: { total: 1, completed: ended ? 1 : 0, failed: 0 } };
    },
    cancel: async () => undefined,
    results: async function* () {},
  };
  const gateway = memoryGateway(
    {
      providers: { openai: upstream, anthropic: undefined, gemini: undefined, bedrock: undefined },
      poll: defaultPollSchedule,
    },
    { now: () => clock },
  );
  const file = await batchInputFile(gateway.deps, chatLines("gpt-4o-mini", ["one"]));
  const batch = await createBatch(gateway.deps, {
    tenant: "t",
    dialect: "openai",
    provider: "openai",
    endpoint: "/v1/chat/completions",
    completionWindow: "24h",
    inputFile: { id: file.id, shown: file.id },
  });
  let transitions = 0;
  let wait = 0;
  const runner = new LocalRunner(
    async (event) => {
      if (event.action === "poll") clock += wait * 1000; // the Wait state before this poll has passed
      const route = await runTask(gateway.engine, event);
      wait = route.waitSeconds;
      return route;
    },
    { pollWaitMs: 0, onTransition: () => void transitions++ },
  );
  await runner.start(batch);
  await runner.drain();
  const ended = await gateway.repo.get("batch", "t", batch.id);
  return { transitions, polls, status: ended?.status, hoursRun: (clock - start) / 3_600_000 };
};

describe("the batch state machine", () => {
  it("polls every 30 s at first, then a fifth of the batch's age, at most every 20 min", () => {
    expect(pollDelaySeconds(defaultPollSchedule, 0)).toBe(30);
    expect(pollDelaySeconds(defaultPollSchedule, 600)).toBe(120);
    expect(pollDelaySeconds(defaultPollSchedule, 3600)).toBe(720);
    expect(pollDelaySeconds(defaultPollSchedule, 86_400)).toBe(1200);
  });

  it("runs a 24 h batch in at most 300 state transitions, counted on the deployed definition", async () => {
    const day = await simulateBatch(24 * 3600);
    expect(day.status).toBe("completed");
    expect(day.hoursRun).toBeGreaterThanOrEqual(24);
    expect(day.hoursRun).toBeLessThan(24 + 1200 / 3600); // collected within one capped wait of its end
    expect(day.transitions).toBeLessThanOrEqual(300);
    // Submit, Route, then Wait + Poll + Route per poll, Collect, Done: nothing else is billed.
    expect(day.transitions).toBe(4 + 3 * day.polls);
    const hour = await simulateBatch(3600);
    expect(hour.transitions).toBeLessThan(80);
    expect(hour.hoursRun).toBeLessThan(1.2); // collected within a fifth of its run time
  });

  describe("run by the local executor, as deployed", () => {
    type Action = TaskEvent["action"];
    /** Runs one execution whose tasks answer from `script`; returns each task's input in call order. */
    const execute = async (script: Partial<Record<Action, (call: number) => Route>>) => {
      const calls: TaskEvent[] = [];
      const runner = new LocalRunner(
        async (event) => {
          calls.push(event);
          const answer = script[event.action];
          if (!answer) throw new Error(`unexpected task ${event.action}`);
          return answer(calls.filter((c) => c.action === event.action).length);
        },
        { pollWaitMs: 1, retryWaitMs: 1 },
      );
      await runner.start({ id: "b1", tenant: "t" } as BatchRecord);
      await runner.drain();
      return calls;
    };
    const done: Route = { next: "done", waitSeconds: 0, attempt: 0 };
    const collect: Route = { next: "collect", waitSeconds: 0, attempt: 0 };

    it("retries a transient failure (the shared retryable name) and goes on", async () => {
      const calls = await execute({
        submit: (n) => {
          if (n < 3) throw new RetryableError("openai answered 503: overloaded");
          return collect;
        },
        collect: () => done,
      });
      expect(calls.map((c) => c.action)).toEqual(["submit", "submit", "submit", "collect"]);
      expect(calls[0]).toEqual({ action: "submit", batchId: "b1", tenant: "t" });
    });

    it.each([
      ["an upstream 4xx", new UpstreamError("openai answered 400: model not found")],
      ["a bad configuration", new ConfigurationError("Provider gemini is not configured on this gateway.")],
      ["any other error", new Error("a bug")],
    ])("fails the batch at once on %s, with the reason, without retrying it", async (_, error) => {
      const calls = await execute({
        submit: () => {
          throw error;
        },
        fail: () => done,
      });
      expect(calls.map((c) => c.action)).toEqual(["submit", "fail"]);
      expect(calls[1]?.error?.Error).toBe(error.name);
      expect(describeFailure(calls[1]?.error)).toContain(error.message);
    });

    it("polls with the attempt count until the upstream ends, then collects", async () => {
      const calls = await execute({
        submit: () => ({ next: "wait", waitSeconds: 30, attempt: 0 }),
        poll: (n) => (n < 3 ? { next: "wait", waitSeconds: 45, attempt: n } : collect),
        collect: () => done,
      });
      expect(calls.map((c) => [c.action, c.attempt])).toEqual([
        ["submit", undefined],
        ["poll", 0],
        ["poll", 1],
        ["poll", 2],
        ["collect", undefined],
      ]);
    });
  });
});
