import { describe, expect, it } from "vitest";
import type { TaskEvent } from "../../lambdas/app/task";
import { defaultPollSchedule, describeFailure, pollDelaySeconds, type Route } from "../../lambdas/core/batch-engine";
import { ConfigurationError, RetryableError, UpstreamError } from "../../lambdas/core/errors";
import type { BatchRecord } from "../../lambdas/core/model";
import { LocalRunner } from "../../local/local-runner";

/** State transitions a batch costs when the upstream takes `seconds`: Submit, Route, then Wait+Poll+Route per poll, Collect, Done. */
const transitionsFor = (seconds: number): { polls: number; transitions: number } => {
  let waited = 0;
  let polls = 0;
  while (waited < seconds) waited += pollDelaySeconds(defaultPollSchedule, polls++);
  return { polls, transitions: 2 + 3 * polls + 2 };
};

describe("the batch state machine", () => {
  it("backs off from 30 s to a cap of 10 min", () => {
    const delays = Array.from({ length: 12 }, (_, i) => pollDelaySeconds(defaultPollSchedule, i));
    expect(delays[0]).toBe(30);
    expect(delays.at(-1)).toBe(600);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
  });

  it("costs a few hundred state transitions for a 24 h batch", () => {
    const { polls, transitions } = transitionsFor(24 * 3600);
    expect(polls).toBeLessThan(160); // 8 polls of the ramp (≈25 min), then one every 10 min
    expect(transitions).toBeLessThan(500);
    expect(transitionsFor(3600).transitions).toBeLessThan(60);
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
