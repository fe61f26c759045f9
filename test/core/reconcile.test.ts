import { describe, expect, it } from "vitest";
import { defaultPollSchedule } from "../../lambdas/core/batch-engine";
import { createBatch } from "../../lambdas/core/batches";
import type { BatchRecord } from "../../lambdas/core/model";
import type { BatchRunner, BudgetLedger, ProviderAdapter } from "../../lambdas/core/ports";
import { reconcile } from "../../lambdas/core/reconcile";
import { chatLines } from "../support/batches";
import { batchInputFile, memoryGateway, runToEnd } from "../support/memory";

/** An upstream that runs until told to end, counting creates and cancels. */
const upstream = () => {
  const calls = { submit: 0, cancel: 0 };
  let ended = false;
  const adapter: ProviderAdapter = {
    submit: async () => ({ id: `up-${++calls.submit}`, mode: "batch" }),
    status: async (batch) => ({ status: ended ? "completed" : "in_progress", counts: batch.requestCounts }),
    cancel: async () => void calls.cancel++,
    results: async function* () {},
  };
  const end = () => {
    ended = true;
  };
  return { adapter, calls, end };
};

const setup = (options: { events?: BatchRecord[]; failPublishes?: number } = {}) => {
  const provider = upstream();
  let clock = Date.UTC(2026, 11, 2);
  let failPublishes = options.failPublishes ?? 0;
  const published = options.events ?? [];
  const gateway = memoryGateway(
    {
      providers: { openai: provider.adapter, anthropic: undefined, gemini: undefined, bedrock: undefined },
      poll: defaultPollSchedule,
      sleep: async () => undefined,
      events: {
        ended: async (batch) => {
          if (failPublishes-- > 0) throw new Error("EventBridge unavailable");
          published.push(batch);
        },
      },
    },
    { now: () => clock },
  );
  const newBatch = async () => {
    const file = await batchInputFile(gateway.deps, chatLines("gpt-4o-mini", ["one", "two"]));
    return createBatch(gateway.deps, {
      tenant: "t",
      dialect: "openai",
      provider: "openai",
      endpoint: "/v1/chat/completions",
      completionWindow: "24h",
      inputFile: { id: file.id, shown: file.id },
    });
  };
  const pass = (maxResumes = 3) =>
    reconcile({ repo: gateway.repo, runner: gateway.runner, engine: gateway.engine, now: () => clock }, { maxResumes });
  return {
    gateway,
    provider,
    published,
    newBatch,
    pass,
    later: (ms: number) => {
      clock += ms;
    },
  };
};

describe("the reconciler", () => {
  it("resumes a batch whose execution stopped, leaves running and just-created ones alone", async () => {
    const { gateway, newBatch, pass, later } = setup();
    const lost = await newBatch();
    const fine = await newBatch();
    await gateway.engine.submit({ batchId: lost.id, tenant: "t" });
    gateway.runner.live.delete(lost.id); // its execution failed or vanished
    expect((await pass()).resumed).toEqual([]); // within the grace after create: its start may be under way
    later(10 * 60_000);
    const young = await newBatch();
    gateway.runner.live.delete(young.id);
    const report = await pass();
    expect(report).toMatchObject({ watched: 3, running: 1, resumed: [lost.id], failed: [] });
    expect(gateway.runner.resumed.map((b) => [b.id, b.resumes])).toEqual([[lost.id, 1]]);
    expect(fine.id).not.toBe(young.id);
  });

  it("fails a batch that lost its execution too often, with a reason, and stops its upstream job", async () => {
    const { gateway, provider, published, newBatch, pass, later } = setup();
    const batch = await newBatch();
    await gateway.engine.submit({ batchId: batch.id, tenant: "t" });
    later(10 * 60_000);
    for (let i = 0; i < 2; i++) {
      gateway.runner.live.delete(batch.id);
      expect((await pass(2)).resumed).toEqual([batch.id]);
    }
    gateway.runner.live.delete(batch.id);
    expect((await pass(2)).failed).toEqual([batch.id]);
    const failed = await gateway.repo.get("batch", "t", batch.id);
    expect(failed?.status).toBe("failed");
    expect(failed?.failureReason).toMatch(/execution stopped 3 times.*Create it again/);
    expect(provider.calls.cancel).toBe(1);
    expect(published.map((b) => b.status)).toEqual(["failed"]);
    expect(failed?.watch).toBeUndefined(); // off the watch list once its end went out
  });

  it("ends a batch whose failure path itself fails by one write, releasing its reservation; others go on", async () => {
    const { gateway, published, newBatch, later } = setup();
    const [broken, fine] = [await newBatch(), await newBatch()];
    await gateway.repo.update("batch", broken.id, { budget: { month: "2026-12", reserved: 5_000 }, resumes: 3 }, {});
    gateway.runner.live.delete(broken.id);
    gateway.runner.live.delete(fine.id);
    later(10 * 60_000);
    const settled: [string, number, number][] = [];
    const budgets = {
      settle: async (_tenant: string, _month: string, batchId: string, reserved: number, actual: number) =>
        void settled.push([batchId, reserved, actual]),
      openHolds: async function* () {},
    } as unknown as BudgetLedger;
    // Everything the failure path needs is broken for this batch (the input, the provider, the price book…).
    const engine = {
      collect: gateway.engine.collect,
      fail: async (input: { batchId: string }) => {
        if (input.batchId === broken.id) throw new Error("the price book is unreadable");
        return gateway.engine.fail(input as Parameters<typeof gateway.engine.fail>[0]);
      },
    };
    const deps = { repo: gateway.repo, runner: gateway.runner, engine, budgets, now: () => Date.UTC(2026, 11, 3) };
    const report = await reconcile(deps, { maxResumes: 3 });
    expect(report).toMatchObject({ failed: [broken.id], resumed: [fine.id], errors: [] });
    const ended = await gateway.repo.get("batch", "t", broken.id);
    expect(ended).toMatchObject({ status: "failed", requestCounts: { total: 2, completed: 0, failed: 2 } });
    expect(ended?.failureReason).toMatch(/execution stopped 4 times.*no error file/);
    expect(settled).toEqual([[broken.id, 5_000, 0]]);
    // The next pass publishes its end, which every SDK then reads.
    await reconcile({ ...deps, engine: gateway.engine });
    expect(published.map((b) => [b.id, b.status])).toEqual([[broken.id, "failed"]]);
  });

  it("names a batch it cannot act on at all and goes on with the others", async () => {
    const { gateway, newBatch, later } = setup();
    const [stuck, fine] = [await newBatch(), await newBatch()];
    gateway.runner.live.delete(stuck.id);
    gateway.runner.live.delete(fine.id);
    later(10 * 60_000);
    const runner: BatchRunner = {
      start: gateway.runner.start.bind(gateway.runner),
      cancel: gateway.runner.cancel.bind(gateway.runner),
      running: gateway.runner.running.bind(gateway.runner),
      resume: async (batch: BatchRecord) => {
        if (batch.id === stuck.id) throw new Error("Step Functions is unavailable");
        return gateway.runner.resume(batch);
      },
    };
    const report = await reconcile({
      repo: gateway.repo,
      runner,
      engine: gateway.engine,
      now: () => Date.UTC(2026, 11, 3),
    });
    expect(report.resumed).toEqual([fine.id]);
    expect(report.errors).toEqual([`${stuck.id}: Step Functions is unavailable`]);
  });

  it("publishes each end once, and one whose publish failed on the next pass", async () => {
    // The publish fails in Collect and again in MarkFailed (the Catch), as when EventBridge is down a while.
    const { gateway, provider, published, newBatch, pass, later } = setup({ failPublishes: 2 });
    const batch = await newBatch();
    provider.end();
    await expect(runToEnd(gateway.engine, batch)).rejects.toThrow("EventBridge unavailable");
    expect((await gateway.repo.get("batch", "t", batch.id))?.status).toBe("completed");
    expect(published).toEqual([]);
    gateway.runner.live.delete(batch.id);
    later(10 * 60_000);
    expect((await pass()).published).toEqual([batch.id]);
    expect(published.map((b) => [b.id, b.status])).toEqual([[batch.id, "completed"]]);
    await gateway.engine.collect({ batchId: batch.id, tenant: "t" }); // a late duplicate delivery
    expect((await pass()).watched).toBe(0);
    expect(published).toHaveLength(1);
  });
});

describe("a new upstream job", () => {
  it("is recorded despite a failing write, and cancelled when it cannot be recorded at all", async () => {
    const { gateway, provider, newBatch } = setup();
    const update = gateway.repo.update.bind(gateway.repo);
    let failures = 2;
    gateway.repo.update = (async (...args: Parameters<typeof update>) => {
      const parts = (args[2] as Partial<BatchRecord>).parts;
      if (parts?.some((part) => part.upstream) && failures-- > 0) throw new Error("ProvisionedThroughputExceeded");
      return update(...args);
    }) as typeof update;
    const recorded = await newBatch();
    await gateway.engine.submit({ batchId: recorded.id, tenant: "t" });
    expect((await gateway.repo.get("batch", "t", recorded.id))?.parts?.[0]?.upstream?.id).toBe("up-1");
    expect(provider.calls.cancel).toBe(0);

    failures = 100;
    const lost = await newBatch();
    await expect(gateway.engine.submit({ batchId: lost.id, tenant: "t" })).rejects.toThrow(
      "ProvisionedThroughputExceeded",
    );
    expect(provider.calls).toEqual({ submit: 2, cancel: 1 }); // the job that could not be recorded was stopped
  });
});
