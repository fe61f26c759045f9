import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RateLimitError } from "../../lambdas/core/errors";
import { DynamoLimiter } from "../../lambdas/state/dynamo-limiter";
import { type Emulators, localNames, startEmulators } from "../../local/emulators";
import { startTestGateway } from "../support/gateway";

describe("per-key limits", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway({
      limits: { requestsPerMinute: 2, concurrentBatches: 1 },
      simulators: { jobLatencyMs: 1500 },
      runner: { pollWaitMs: 50 },
    });
  });
  afterAll(() => gateway.stop());

  it("answers a key over its request rate with a 429 and retry-after, in each SDK's envelope; other keys are unaffected", async () => {
    // 6 calls span at most two one-minute windows of 2, so at least two are refused.
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${gateway.url}/openai/files`, { headers: { authorization: "Bearer sk-rate" } });
      statuses.push(response.status);
      if (response.status === 429) refused ??= response;
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect(Number(refused!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await refused!.json()).toMatchObject({ error: { type: "requests", code: "rate_limit_exceeded" } });
    const sdk = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-rate", maxRetries: 0 });
    await expect(sdk.files.list()).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const anthropic = new Anthropic({ baseURL: `${gateway.url}/anthropic`, apiKey: "sk-rate", maxRetries: 0 });
    await expect(anthropic.beta.files.list()).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    const other = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-someone-else", maxRetries: 0 });
    expect((await other.files.list()).data).toEqual([]);
  });
});

describe("bodies over what their route takes", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());
  const send = (path: string, method: string, body: Buffer | ReadableStream, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: "Bearer sk-big", "content-type": "application/octet-stream", ...headers },
      body,
      ...(body instanceof ReadableStream && { duplex: "half" }),
    } as RequestInit);
  const streamOf = (bytes: number) =>
    new ReadableStream({
      start(controller) {
        for (let sent = 0; sent < bytes; sent += 1024 * 1024) controller.enqueue(new Uint8Array(1024 * 1024));
        controller.close();
      },
    });

  it("are refused at the edge in the SDK's own format, from their Content-Length: the S3 API's as S3 XML", async () => {
    const openai = await send("/openai/files", "POST", Buffer.alloc(5 * 1024 * 1024, "a"));
    expect(openai.status).toBe(413);
    expect(await openai.json()).toMatchObject({
      error: { type: "request_too_large", message: expect.stringContaining("part_size=4 * 1024 * 1024") },
    });
    const s3 = await send("/bedrock/files/big-data/big.bin", "PUT", Buffer.alloc(10 * 1024 * 1024 + 1, "a"));
    expect(s3.status).toBe(413);
    expect(await s3.text()).toMatch(/<Code>EntityTooLarge<\/Code>.*upload_file/);
    // boto3 sends PutObject aws-chunked without Content-Length: its decoded length weighs it.
    const chunked = await send("/bedrock/files/big-data/big.bin", "PUT", streamOf(11 * 1024 * 1024), {
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": String(11 * 1024 * 1024),
    });
    expect(chunked.status).toBe(413);
    expect(await chunked.text()).toContain("<Code>EntityTooLarge</Code>");
    // A staged route takes API Gateway's 10 MB: an 8 MiB part passes the front.
    const part = await send("/bedrock/files/big-data/part.bin", "PUT", Buffer.alloc(8 * 1024 * 1024, "a"));
    expect(part.status).toBe(200);
  });

  it("sent without Content-Length, get what API Gateway and Lambda answer themselves, as in AWS", async () => {
    const staged = await send("/bedrock/files/big-data/big.bin", "PUT", streamOf(11 * 1024 * 1024));
    expect(staged.status).toBe(413);
    expect(await staged.text()).toBe("HTTP content length exceeded 10485760 bytes.");
    const inline = await send("/openai/files", "POST", streamOf(6 * 1024 * 1024));
    expect(inline.status).toBe(413);
    expect(inline.headers.get("x-amzn-errortype")).toBe("BadRequestException");
    expect(await inline.json()).toEqual({ message: "Request Too Long" });
  });
});

describe("concurrent-batch limit", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway({
      limits: { concurrentBatches: 1 },
      simulators: { jobLatencyMs: 800 },
      runner: { pollWaitMs: 50 },
    });
  });
  afterAll(() => gateway.stop());

  it("refuses a second batch in progress with a 429, and frees the slot when the first ends", async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-slots", maxRetries: 0 });
    const line = JSON.stringify({
      custom_id: "a",
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] },
    });
    const file = await client.files.create({ file: await toFile(Buffer.from(line), "in.jsonl"), purpose: "batch" });
    const create = () =>
      client.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    const first = await create();
    await expect(create()).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    for (let i = 0; i < 100 && (await client.batches.retrieve(first.id)).status !== "completed"; i++)
      await new Promise((r) => setTimeout(r, 100));
    const second = await create();
    expect(second.id).not.toBe(first.id);
  });
});

describe("DynamoLimiter windows (fixed clock)", () => {
  let emulators: Emulators;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "finops-limits-"));
    emulators = await startEmulators(dataDir);
  });
  afterAll(async () => {
    await emulators.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("allows the limit per minute, then refuses until the next minute with the seconds left", async () => {
    let now = Date.UTC(2026, 10, 22, 12, 0, 15);
    const limiter = new DynamoLimiter(
      emulators.dynamo,
      localNames.table,
      { requestsPerMinute: 3, concurrentBatches: 0 },
      () => now,
    );
    for (let i = 0; i < 3; i++) await limiter.request("t1");
    const error = await limiter.request("t1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterSeconds).toBe(45);
    await limiter.request("t2");
    now += 60_000;
    await limiter.request("t1");
  });
});
