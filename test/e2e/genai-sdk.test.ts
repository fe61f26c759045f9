import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ApiError, type BatchJob, GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxResumableUploadBytes } from "../../lambdas/core/uploads";
import { startTestGateway } from "../support/gateway";
import { waitForUpstreamBatch } from "../support/wait";

const models = {
  gemini: "gemini-1.5-flash",
  openai: "gpt-4o-mini",
  anthropic: "claude-3-5-haiku-latest",
  bedrock: "anthropic.claude-3-sonnet-20240229-v1:0",
} as const;
type ProviderName = keyof typeof models;
const endStates = ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"];

const seedInline = [
  { contents: [{ parts: [{ text: "What is 2+2?" }], role: "user" }], config: { responseModalities: ["TEXT"] } },
  {
    contents: [{ parts: [{ text: "What is the capital of France?" }], role: "user" }],
    config: { responseModalities: ["TEXT"] },
  },
];

describe("Google GenAI SDK through the local gateway", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let dir: string;
  const client = (apiKey: string, provider?: ProviderName) =>
    new GoogleGenAI({
      apiKey,
      httpOptions: { baseUrl: `${gateway.url}/genai`, headers: provider ? { "x-model-provider": provider } : {} },
    });
  const waitDone = async (ai: GoogleGenAI, name: string): Promise<BatchJob> => {
    for (let i = 0; i < 300; i++) {
      const job = await ai.batches.get({ name });
      if (endStates.includes(job.state!)) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("batch never ended");
  };
  /** Chunk objects in the emulated bucket (s3rver keeps one file per object). */
  const stagedChunks = async () =>
    (await readdir(join(gateway.dataDir, "s3"), { recursive: true })).filter((path) => path.includes("/chunks/"));
  const uploadText = async (ai: GoogleGenAI, name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return ai.files.upload({ file: path, config: { displayName: name, mimeType: "application/jsonl" } });
  };
  const downloadLines = async (ai: GoogleGenAI, fileName: string) => {
    const path = join(dir, `${fileName.replace("/", "_")}.out`);
    await ai.files.download({ file: fileName, downloadPath: path });
    return (await readFile(path, "utf8"))
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            key: string;
            response?: { candidates: { content: { parts: { text: string }[] } }[] };
            error?: { code: number };
          },
      );
  };

  beforeAll(async () => {
    gateway = await startTestGateway({
      simulators: { jobLatencyMs: 400 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
      bedrockMinRecords: 5,
    });
    dir = await mkdtemp(join(tmpdir(), "finops-genai-"));
  });
  afterAll(() => gateway.stop());

  it.each(Object.keys(models) as ProviderName[])(
    "runs the seeds' inline batch on %s; dest.inlinedResponses has one response per request, in order",
    async (provider) => {
      const ai = client("AIza-inline", provider);
      const created = await ai.batches.create({ model: models[provider], src: seedInline });
      expect(created.name).toMatch(/^batches\/[a-z2-7]{24}$/);
      expect(created.state).toBe("JOB_STATE_PENDING");
      const job = await waitDone(ai, created.name!);
      expect(job.state).toBe("JOB_STATE_SUCCEEDED");
      expect(job.model).toBe(`models/${models[provider]}`);
      expect(job.endTime).toBeDefined();
      expect(job.dest?.inlinedResponses?.map((r) => r.response?.candidates?.[0]?.content?.parts?.[0]?.text)).toEqual([
        "Simulated reply to: What is 2+2?",
        "Simulated reply to: What is the capital of France?",
      ]);
    },
  );

  it.each<[ProviderName, string]>([
    [
      "gemini",
      [1, 2]
        .map((i) =>
          JSON.stringify({
            key: `request_${i}`,
            request: { contents: [{ parts: [{ text: `Hello ${i}` }], role: "user" }] },
          }),
        )
        .join("\n"),
    ],
    [
      "openai",
      [1, 2]
        .map((i) =>
          JSON.stringify({
            custom_id: `request_${i}`,
            method: "POST",
            url: "/v1/chat/completions",
            body: { model: models.openai, messages: [{ role: "user", content: `Hello ${i}` }], max_tokens: 100 },
          }),
        )
        .join("\n"),
    ],
  ])("runs a file batch on %s and downloads a responses file in input order", async (provider, text) => {
    const ai = client("AIza-files", provider);
    const file = await uploadText(ai, `${provider}_input.jsonl`, text);
    expect(file).toMatchObject({
      displayName: `${provider}_input.jsonl`,
      mimeType: "application/jsonl",
      sizeBytes: String(Buffer.byteLength(text)),
      state: "ACTIVE",
    });
    expect(file.name).toMatch(/^files\/[a-z2-7]{24}$/);
    const job = await waitDone(ai, (await ai.batches.create({ model: models[provider], src: file.name! })).name!);
    expect(job.state).toBe("JOB_STATE_SUCCEEDED");
    expect(job.dest?.fileName).toMatch(/^files\//);
    const lines = await downloadLines(ai, job.dest!.fileName!);
    expect(lines.map((l) => [l.key, l.response?.candidates[0]?.content.parts[0]?.text])).toEqual([
      ["request_1", "Simulated reply to: Hello 1"],
      ["request_2", "Simulated reply to: Hello 2"],
    ]);
  });

  it("lists files and batches with page tokens, gets and deletes them", async () => {
    const ai = client("AIza-paging");
    const names: string[] = [];
    for (const i of [1, 2, 3])
      names.push(
        (
          await uploadText(
            ai,
            `f${i}.jsonl`,
            JSON.stringify({ key: "k", request: { contents: [{ parts: [{ text: "x" }] }] } }),
          )
        ).name!,
      );
    const seen: string[] = [];
    for await (const f of await ai.files.list({ config: { pageSize: 2 } })) seen.push(f.name!);
    expect(seen).toEqual([...names].reverse());
    expect((await ai.files.get({ name: names[0]! })).name).toBe(names[0]);
    await ai.files.delete({ name: names[0]! });
    await expect(ai.files.get({ name: names[0]! })).rejects.toMatchObject({ status: 404 });
    const jobs: string[] = [];
    for (let i = 0; i < 3; i++) jobs.push((await ai.batches.create({ model: models.gemini, src: seedInline })).name!);
    const listed: string[] = [];
    for await (const b of await ai.batches.list({ config: { pageSize: 2 } })) listed.push(b.name!);
    expect(listed).toEqual([...jobs].reverse());
    const done = await waitDone(ai, jobs[0]!);
    await ai.batches.delete({ name: done.name! });
    await expect(ai.batches.get({ name: done.name! })).rejects.toMatchObject({ status: 404 });
    for (const name of jobs.slice(1)) await waitDone(ai, name);
  });

  it("cancels a batch", async () => {
    const slow = await startTestGateway({
      simulators: { jobLatencyMs: 4000 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
    });
    try {
      const ai = new GoogleGenAI({ apiKey: "AIza-cancel", httpOptions: { baseUrl: `${slow.url}/genai` } });
      const created = await ai.batches.create({ model: models.gemini, src: [...seedInline, ...seedInline] });
      await waitForUpstreamBatch(slow.gateway.simulators, "gemini");
      await ai.batches.cancel({ name: created.name! });
      let job = await ai.batches.get({ name: created.name! });
      for (let i = 0; i < 300 && !endStates.includes(job.state!); i++) {
        await new Promise((r) => setTimeout(r, 100));
        job = await ai.batches.get({ name: created.name! });
      }
      expect(job.state).toBe("JOB_STATE_CANCELLED");
      const responses = job.dest?.inlinedResponses ?? [];
      expect(responses).toHaveLength(4);
      expect(responses.filter((r) => r.error).length).toBe(2);
    } finally {
      await slow.stop();
    }
  });

  it("takes a 20 MB upload in the SDK's 8 MiB chunks, none through a Lambda, and refuses more than the limit at start", async () => {
    const ai = client("AIza-big");
    const line = (i: number) =>
      JSON.stringify({ key: `k${i}`, request: { contents: [{ parts: [{ text: `${i} ${"x".repeat(480)}` }] }] } });
    const text = Array.from({ length: 40_000 }, (_, i) => line(i)).join("\n");
    const size = Buffer.byteLength(text);
    expect(size).toBeGreaterThan(20_000_000);
    const stored = (await stagedChunks()).length;
    const file = await uploadText(ai, "big.jsonl", text);
    expect(file.sizeBytes).toBe(String(size));
    const got = await ai.files.get({ name: file.name! });
    expect(got.sha256Hash).toBe(createHash("sha256").update(text).digest("base64"));
    // Chunks of 8 MiB went to the bucket (more than a Lambda event carries); the download reads the joined file.
    const path = join(dir, "big.out");
    await ai.files.download({ file: file.name!, downloadPath: path });
    expect(
      createHash("sha256")
        .update(await readFile(path))
        .digest("base64"),
    ).toBe(got.sha256Hash);
    expect((await stagedChunks()).length).toBe(stored); // the join freed the chunks
    const error = await fetch(`${gateway.url}/genai/upload/v1beta/files`, {
      method: "POST",
      headers: {
        "x-goog-api-key": "AIza-big",
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": String(maxResumableUploadBytes + 1),
      },
      body: "{}",
    });
    expect(error.status).toBe(413);
    expect(await error.json()).toMatchObject({ error: { message: expect.stringMatching(/at most 1073741824 bytes/) } });
  });

  it("serves the Python SDK's upload: snake_case start, chunks authorised by the upload id, offsets checked, a retried chunk is safe", async () => {
    const text = JSON.stringify({ key: "r1", request: { contents: [{ parts: [{ text: "hi" }], role: "user" }] } });
    const size = Buffer.byteLength(text);
    const start = await fetch(`${gateway.url}/genai/upload/v1beta/files`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-goog-api-key": "AIza-python",
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": String(size),
        "x-goog-upload-header-content-type": "application/jsonl",
      },
      body: JSON.stringify({ file: { display_name: "my input", mime_type: "application/jsonl", size_bytes: size } }),
    });
    const uploadUrl = start.headers.get("x-goog-upload-url")!;
    expect(uploadUrl).toMatch(new RegExp(`^${gateway.url}/genai/upload-sessions/[a-z0-9]{24}$`));
    const chunk = (command: string, offset: number, body: string) =>
      fetch(uploadUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-goog-upload-command": command,
          "x-goog-upload-offset": String(offset),
        },
        body,
      });
    const head = text.slice(0, 10);
    const first = await chunk("upload", 0, head);
    expect(first.headers.get("x-goog-upload-status")).toBe("active");
    expect((await chunk("upload", 0, head)).status).toBe(200); // a retry overwrites itself
    // A chunk that skips bytes, and a finalize before every byte arrived, are refused with what to send instead.
    const skipped = await chunk("upload", 20, text.slice(20));
    expect(skipped.status).toBe(400);
    expect(await skipped.json()).toMatchObject({
      error: {
        status: "INVALID_ARGUMENT",
        message: expect.stringMatching(/10 bytes have arrived so far: send the chunk at offset 10/),
      },
    });
    const early = await chunk("upload, finalize", 0, head);
    expect(early.status).toBe(400);
    expect(await early.text()).toMatch(/starts at offset 10/);
    const owner = client("AIza-python");
    const listed = async () => {
      const names: string[] = [];
      for await (const f of await owner.files.list({ config: { pageSize: 50 } })) names.push(f.name!);
      return names;
    };
    expect(await listed()).toEqual([]); // nothing half-written is visible
    const last = await chunk("upload, finalize", 10, text.slice(10));
    expect(last.headers.get("x-goog-upload-status")).toBe("final");
    const { file } = (await last.json()) as { file: { name: string; displayName: string; sizeBytes: string } };
    expect(file).toMatchObject({ displayName: "my input", sizeBytes: String(size) });
    const again = await chunk("upload, finalize", 10, text.slice(10));
    expect(((await again.json()) as { file: { name: string } }).file.name).toBe(file.name);
    expect((await owner.files.get({ name: file.name })).sha256Hash).toBe(
      createHash("sha256").update(text).digest("base64"),
    );
    expect(await listed()).toEqual([file.name]);
    const unknown = await fetch(`${gateway.url}/genai/upload-sessions/zzzzzzzzzzzzzzzzzzzzzzzz`, {
      method: "POST",
      headers: { "x-goog-upload-command": "upload", "x-goog-upload-offset": "0" },
      body: "x",
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 404, status: "NOT_FOUND" } });
  });

  it("answers bad input and other tenants with Google's errors", async () => {
    const ai = client("AIza-bad");
    await expect(
      ai.batches.create({ model: models.gemini, src: "files/aaaaaaaaaaaaaaaaaaaaaaaa" }),
    ).rejects.toMatchObject({ status: 404 });
    const bad = await uploadText(
      ai,
      "bad.jsonl",
      `${JSON.stringify({ key: "a", request: { contents: [{ parts: [{ text: "x" }] }] } })}\n{"key": "b", "request": `,
    );
    const error = (await ai.batches
      .create({ model: models.gemini, src: bad.name! })
      .catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/Line 2: not valid JSON/);
    expect(error.message).toMatch(/INVALID_ARGUMENT/);
    // A field the gateway does not carry is refused by name, not dropped.
    const webhook = (await ai.batches
      .create({ model: models.gemini, src: seedInline, config: { webhookConfig: { uris: ["https://hooks.example"] } } })
      .catch((e: unknown) => e)) as ApiError;
    expect(webhook.status).toBe(400);
    expect(webhook.message).toMatch(/webhookConfig/);
    const unknownProvider = client("AIza-bad", "mistral" as ProviderName);
    await expect(unknownProvider.batches.create({ model: "m", src: seedInline })).rejects.toMatchObject({
      status: 400,
    });
    const owner = client("AIza-owner");
    const file = await uploadText(
      owner,
      "mine.jsonl",
      JSON.stringify({ key: "k", request: { contents: [{ parts: [{ text: "x" }] }] } }),
    );
    const job = await owner.batches.create({ model: models.gemini, src: seedInline });
    const intruder = client("AIza-intruder");
    await expect(intruder.files.get({ name: file.name! })).rejects.toMatchObject({ status: 404 });
    await expect(intruder.batches.get({ name: job.name! })).rejects.toMatchObject({ status: 404 });
    await expect(intruder.batches.create({ model: models.gemini, src: file.name! })).rejects.toMatchObject({
      status: 404,
    });
    const listed: string[] = [];
    for await (const b of await intruder.batches.list({ config: { pageSize: 10 } })) listed.push(b.name!);
    expect(listed).toEqual([]);
    const anonymous = await fetch(`${gateway.url}/genai/v1beta/files`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 401, status: "UNAUTHENTICATED" } });
    await waitDone(owner, job.name!);
  });
});
