import { randomBytes } from "node:crypto";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway";

const batchLine = (id: string) =>
  JSON.stringify({
    custom_id: id,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: "gpt-4o-mini", messages: [{ role: "user", content: `hi ${id}` }], max_tokens: 100 },
  });

describe("OpenAI SDK Files API through the local gateway", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;
  let otherTenant: OpenAI;

  beforeAll(async () => {
    gateway = await startTestGateway();
    client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-tenant-a", maxRetries: 0 });
    otherTenant = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-tenant-b", maxRetries: 0 });
  });
  afterAll(() => gateway.stop());

  it("answers at {GW}/openai/v1 too, the base URL OpenAI users type: the same tenant's files, the same batches", async () => {
    const v1 = new OpenAI({ baseURL: `${gateway.url}/openai/v1`, apiKey: "sk-tenant-a", maxRetries: 0 });
    const file = await v1.files.create({
      file: await toFile(Buffer.from(batchLine("v1-request")), "v1.jsonl", { type: "application/jsonl" }),
      purpose: "batch",
    });
    expect((await client.files.retrieve(file.id)).filename).toBe("v1.jsonl");
    const batch = await v1.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    expect((await client.batches.retrieve(batch.id)).id).toBe(batch.id);
    expect((await v1.batches.list()).data.map((b) => b.id)).toContain(batch.id);
    expect(await (await v1.files.content(file.id)).text()).toBe(batchLine("v1-request"));
    // A path no route takes names what this mount serves, in the SDK's own error.
    const wrong = v1.get("/v1/files");
    await expect(wrong).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(wrong).rejects.toThrow(
      "Unknown request URL: GET /openai/v1/v1/files. Here /openai serves the openai SDK's /openai/files, " +
        "/openai/uploads, /openai/batches, /openai/v1: point the SDK's base URL at {gateway URL}/openai.",
    );
  });

  it("uploads a batch file as the seeds do and returns an OpenAI FileObject", async () => {
    const content = `${batchLine("request-1")}\n${batchLine("request-2")}`;
    const file = await client.files.create({
      file: await toFile(Buffer.from(content), "batch_input.jsonl", { type: "application/jsonl" }),
      purpose: "batch",
      // @ts-expect-error the seeds' extra body field, sent as a form field
      provider: "openai",
    });
    expect(file).toMatchObject({
      object: "file",
      bytes: Buffer.byteLength(content),
      filename: "batch_input.jsonl",
      purpose: "batch",
      status: "processed",
    });
    expect(file.id).toMatch(/^file-[a-z2-7]{24}$/);
    expect(file.created_at).toBeGreaterThan(1_700_000_000);
    expect(file.created_at).toBeLessThan(Date.now() / 1000 + 1);
    expect(file.expires_at).toBe(file.created_at + 30 * 86_400);

    const retrieved = await client.files.retrieve(file.id);
    expect(retrieved).toEqual(file);
    const bytes = Buffer.from(await (await client.files.content(file.id)).arrayBuffer());
    expect(bytes.toString("utf8")).toBe(content);
  });

  it("round-trips binary bytes exactly", async () => {
    const payload = randomBytes(256 * 1024);
    const file = await client.files.create({ file: await toFile(payload, "blob.bin"), purpose: "user_data" });
    expect(file.bytes).toBe(payload.byteLength);
    const back = Buffer.from(await (await client.files.content(file.id)).arrayBuffer());
    expect(back.equals(payload)).toBe(true);
  });

  it("accepts expires_after and the Python SDK's bracketed storage_config fields", async () => {
    const file = await client.files.create({
      file: await toFile(Buffer.from(batchLine("a")), "in.jsonl"),
      purpose: "batch",
      expires_after: { anchor: "created_at", seconds: 3600 },
      // @ts-expect-error the seeds' Bedrock extra body, nested as storage_config[s3][bucket]
      provider: "bedrock",
      storage_config: { s3: { bucket: "your-s3-bucket", region: "us-west-2", prefix: "batch-input" } },
    });
    expect(file.expires_at).toBe(file.created_at + 3600);
    const bedrockOnly = await client.files.list({ purpose: "batch" }, { query: { provider: "bedrock" } });
    expect(bedrockOnly.data.map((f) => f.id)).toEqual([file.id]);
  });

  it("lists across pages with after/limit/order, newest first by default", async () => {
    const lister = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-lister", maxRetries: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const f = await lister.files.create({
        file: await toFile(Buffer.from(batchLine(`r${i}`)), `f${i}.jsonl`),
        purpose: "batch",
      });
      ids.push(f.id);
    }
    const first = await lister.files.list({ limit: 2 });
    expect(first.data.map((f) => f.id)).toEqual([ids[4], ids[3]]);
    expect(first.has_more).toBe(true);

    const all: string[] = [];
    for await (const f of lister.files.list({ limit: 2 })) all.push(f.id);
    expect(all).toEqual([...ids].reverse());

    const ascending: string[] = [];
    for await (const f of lister.files.list({ limit: 2, order: "asc" })) ascending.push(f.id);
    expect(ascending).toEqual(ids);

    const last = await lister.files.list({ limit: 2, after: ids[1] });
    expect(last.data.map((f) => f.id)).toEqual([ids[0]]);
    expect(last.has_more).toBe(false);
  });

  it("filters the list by purpose", async () => {
    const c = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-purpose", maxRetries: 0 });
    const batch = await c.files.create({
      file: await toFile(Buffer.from(batchLine("x")), "b.jsonl"),
      purpose: "batch",
    });
    const vision = await c.files.create({ file: await toFile(Buffer.from("png?"), "v.png"), purpose: "vision" });
    expect((await c.files.list({ purpose: "batch" })).data.map((f) => f.id)).toEqual([batch.id]);
    expect((await c.files.list({ purpose: "vision" })).data.map((f) => f.id)).toEqual([vision.id]);
  });

  it("deletes a file, after which every read answers 404", async () => {
    const file = await client.files.create({
      file: await toFile(Buffer.from(batchLine("d")), "d.jsonl"),
      purpose: "batch",
    });
    const deleted = await client.files.delete(file.id);
    expect(deleted).toEqual({ id: file.id, object: "file", deleted: true });
    await expect(client.files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.files.content(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.files.delete(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("keeps tenants apart: another key cannot list, read, download or delete the file", async () => {
    const file = await client.files.create({
      file: await toFile(Buffer.from(batchLine("secret")), "secret.jsonl"),
      purpose: "batch",
    });
    const theirs = await otherTenant.files.list();
    expect(theirs.data.map((f) => f.id)).not.toContain(file.id);
    await expect(otherTenant.files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(otherTenant.files.content(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(otherTenant.files.delete(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect((await client.files.retrieve(file.id)).id).toBe(file.id);
  });

  it("refuses a batch file with a bad line with a 400 naming the line, and stores nothing", async () => {
    const c = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-bad-jsonl", maxRetries: 0 });
    const content = `${batchLine("ok-1")}\n${batchLine("ok-2")}\n{"custom_id": "broken", \n`;
    const error = await c.files
      .create({ file: await toFile(Buffer.from(content), "bad.jsonl"), purpose: "batch" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/Line 3: not valid JSON/);
    expect((await c.files.list()).data).toEqual([]);
  });

  it("refuses a line that is JSON but not an object", async () => {
    const error = await client.files
      .create({ file: await toFile(Buffer.from(`${batchLine("a")}\n[1,2]\n`), "arr.jsonl"), purpose: "batch" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/Line 2: expected a JSON object, got an array/);
  });

  it("refuses an unknown provider with a 400 naming the field", async () => {
    const error = await client.files
      .create({
        file: await toFile(Buffer.from(batchLine("a")), "p.jsonl"),
        purpose: "batch",
        // @ts-expect-error extra body field
        provider: "mistral",
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.param).toBe("provider");
    expect(bad.message).toMatch(/unknown provider "mistral"; use one of openai, anthropic, gemini, bedrock/);
  });

  it("refuses a missing purpose and an unknown file id with typed errors", async () => {
    const noPurpose = await client.files
      .create({ file: await toFile(Buffer.from("x"), "x.txt") } as never)
      .catch((e: unknown) => e);
    expect(noPurpose).toBeInstanceOf(OpenAI.BadRequestError);
    expect((noPurpose as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("purpose");
    await expect(client.files.retrieve("file-doesnotexist")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.files.list({ after: "nonsense" })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("answers 401 in OpenAI's envelope without a key", async () => {
    const response = await fetch(`${gateway.url}/openai/files`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_api_key");
  });

  it("answers 413 in an envelope the SDK reads when the body is too large for Lambda", async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, "a");
    const error = await client.files
      .create({ file: await toFile(big, "big.bin"), purpose: "user_data" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(413);
    expect(apiError.message).toMatch(/6291456 bytes/);
  });

  it("takes the largest upload that fits in a Lambda event and returns it intact", async () => {
    const payload = randomBytes(4_400_000);
    const file = await client.files.create({ file: await toFile(payload, "large.bin"), purpose: "user_data" });
    const back = Buffer.from(await (await client.files.content(file.id)).arrayBuffer());
    expect(back.equals(payload)).toBe(true);
  });
});

describe("OpenAI SDK uploads that stream or carry odd metadata", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;
  beforeAll(async () => {
    gateway = await startTestGateway();
    client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-stream", maxRetries: 0 });
  });
  afterAll(() => gateway.stop());

  it("takes a file streamed from disk (chunked transfer encoding, no content-length)", async () => {
    const { mkdtemp, writeFile } = await import("node:fs/promises");
    const { createReadStream } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(join(tmpdir(), "finops-upload-"));
    const path = join(dir, "input.jsonl");
    const content = `${Array.from({ length: 200 }, (_, i) => batchLine(`req-${i}`)).join("\n")}\n`;
    await writeFile(path, content);
    const file = await client.files.create({ file: createReadStream(path), purpose: "batch" });
    expect(file).toMatchObject({ filename: "input.jsonl", bytes: Buffer.byteLength(content) });
    expect(await (await client.files.content(file.id)).text()).toBe(content);
  });

  it("keeps a unicode filename and refuses one with control characters", async () => {
    const file = await client.files.create({
      file: await toFile(Buffer.from(batchLine("u")), "données-日本.jsonl"),
      purpose: "batch",
    });
    expect(file.filename).toBe("données-日本.jsonl");
    const error = await client.files
      .create({ file: await toFile(Buffer.from(batchLine("u")), "bad\u0001name.jsonl"), purpose: "batch" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/control characters/);
  });

  it("refuses an oversized storage_config instead of failing in the table", async () => {
    const error = await client.files
      .create({
        file: await toFile(Buffer.from(batchLine("s")), "s.jsonl"),
        purpose: "batch",
        // @ts-expect-error extra body field
        storage_config: { s3: { bucket: "b".repeat(5000) } },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("storage_config");
  });
});
