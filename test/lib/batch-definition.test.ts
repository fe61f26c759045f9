import { describe, expect, it } from "vitest";
import { defaultPollSchedule, pollDelaySeconds } from "../../lambdas/core/batch-engine";
import { batchStateMachineDefinition } from "../../lib/batch-definition";
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

  it("is a definition the local executor validates and accepts", () => {
    const definition = batchStateMachineDefinition("arn:aws:lambda:us-east-1:123456789012:function:task");
    expect(definition.StartAt).toBe("Submit");
    // The executor validates the ASL when the runner builds its state machine.
    expect(() => new LocalRunner({} as never)).not.toThrow();
  });
});
