import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamError } from "../../lambdas/core/errors";
import { type UpstreamCall, upstreamChannel, upstreamFetch } from "../../lambdas/providers/http";

/** Answers each path's statuses in turn: `/flaky` fails once with 503, `/bad` is refused with 400. */
const answers: Record<string, number[]> = { "/flaky": [503, 200], "/bad": [400] };
const server = createServer((request, response) => {
  const status = answers[request.url ?? ""]?.shift() ?? 200;
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(status < 300 ? { ok: true } : { error: { message: `status ${status}` } }));
});
const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

beforeAll(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)));
afterAll(() => server.close());

const reported = async (call: () => Promise<unknown>): Promise<UpstreamCall[]> => {
  const calls: UpstreamCall[] = [];
  const listener = (message: unknown) => calls.push(message as UpstreamCall);
  subscribe(upstreamChannel, listener);
  try {
    await call().catch(() => undefined);
  } finally {
    unsubscribe(upstreamChannel, listener);
  }
  return calls;
};

describe("upstreamFetch reports each call on its diagnostics channel (the metrics read it)", () => {
  it("a retried call: the retry and the answer, each with its status and latency", async () => {
    const calls = await reported(() => upstreamFetch("openai", url("/flaky"), { method: "GET" }, { backoffMs: 1 }));
    expect(calls.map(({ provider, outcome, status }) => ({ provider, outcome, status }))).toEqual([
      { provider: "openai", outcome: "retry", status: 503 },
      { provider: "openai", outcome: "ok", status: 200 },
    ]);
    for (const call of calls) expect(call.milliseconds).toBeGreaterThan(0);
  });

  it("a refused call: one error, and the upstream's message in what is thrown", async () => {
    await expect(upstreamFetch("anthropic", url("/bad"), { method: "GET" })).rejects.toThrow(
      new UpstreamError("anthropic answered 400: status 400"),
    );
    answers["/bad"] = [400];
    const calls = await reported(() => upstreamFetch("anthropic", url("/bad"), { method: "GET" }));
    expect(calls.map(({ outcome, status }) => ({ outcome, status }))).toEqual([{ outcome: "error", status: 400 }]);
  });
});
