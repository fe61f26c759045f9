import { createHash } from "node:crypto";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatLines, resultLines, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";

const MiB = 1024 * 1024;

/** JSONL batch input of about `megabytes` MB: one request per line, each with a long prompt. */
const bigInput = (megabytes: number) => {
  const prompt = "x".repeat(2000);
  const count = Math.ceil((megabytes * 1_000_000) / (prompt.length + 160));
  const text = chatLines(
    "gpt-4o-mini",
    Array.from({ length: count }, () => prompt),
  );
  return { body: Buffer.from(`${text}\n`), count };
};

/** What Python's `uploads.upload_file_chunked` sends for a part: field `data`, filename `upload`. */
const pythonPart = (data: Buffer) => {
  const boundary = "c49aff6aad6886233dfe03448609ec6e";
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="upload"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), data, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
};

describe("OpenAI's Uploads API: files larger than one request, in parts", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;

  beforeAll(async () => {
    gateway = await startTestGateway({
      simulators: { jobLatencyMs: 300 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
    });
    client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-uploads", maxRetries: 0 });
  });
  afterAll(() => gateway.stop());

  const upload = async (body: Buffer, partSize: number, purpose: "batch" | "user_data" = "batch") => {
    const created = await client.uploads.create({
      filename: "big.jsonl",
      purpose,
      bytes: body.byteLength,
      mime_type: "application/jsonl",
    });
    const parts = [];
    for (let offset = 0; offset < body.byteLength; offset += partSize) {
      const data = await toFile(body.subarray(offset, offset + partSize), "part");
      parts.push(await client.uploads.parts.create(created.id, { data }));
    }
    return { created, parts };
  };

  it("takes a 12 MB batch input in 4 MiB parts, joins it in order, and runs a batch on it", async () => {
    const { body, count } = bigInput(12);
    const { created, parts } = await upload(body, 4 * MiB);
    expect(created).toMatchObject({ object: "upload", status: "pending", bytes: body.byteLength, purpose: "batch" });
    expect(created.id).toMatch(/^upload_[a-z2-7]{24}$/);
    expect(parts).toHaveLength(3);
    expect(parts[0]).toMatchObject({ object: "upload.part", upload_id: created.id });
    const md5 = createHash("md5").update(body).digest("hex");
    const done = await client.uploads.complete(created.id, { part_ids: parts.map((p) => p.id), md5 });
    expect(done.status).toBe("completed");
    expect(done.file).toMatchObject({
      object: "file",
      bytes: body.byteLength,
      purpose: "batch",
      filename: "big.jsonl",
    });
    const content = Buffer.from(await (await client.files.content(done.file!.id)).arrayBuffer());
    expect(content.equals(body)).toBe(true);
    // A smaller batch on a part of it would do, but the point is the whole file is a valid input.
    const batch = await client.batches.create({
      input_file_id: done.file!.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const ended = await waitForBatch(client, batch.id, 120_000);
    expect(ended.status).toBe("completed");
    expect(ended.request_counts?.total).toBe(count);
    expect((await resultLines(client, ended.output_file_id)).length).toBe(count);
  }, 180_000);

  it("refuses a part over 4 MiB with a 413 naming the part size, and a request over the event limit likewise", async () => {
    const created = await client.uploads.create({
      filename: "x.jsonl",
      purpose: "user_data",
      bytes: 10 * MiB,
      mime_type: "text/plain",
    });
    const slightlyOver = await client.uploads.parts
      .create(created.id, { data: await toFile(Buffer.alloc(4 * MiB + 1000, 0x61), "part") })
      .catch((e: unknown) => e);
    expect(slightlyOver).toBeInstanceOf(OpenAI.APIError);
    expect((slightlyOver as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
    expect((slightlyOver as Error).message).toMatch(/at most 4194304 bytes \(4 MiB\).*part_size=4 \* 1024 \* 1024/);
    const farOver = await client.uploads.parts
      .create(created.id, { data: await toFile(Buffer.alloc(6 * MiB, 0x61), "part") })
      .catch((e: unknown) => e);
    expect((farOver as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
    expect((farOver as Error).message).toMatch(/upload_file_chunked/);
  });

  it("refuses a file over 200 MB at create, before any part", async () => {
    const error = await client.uploads
      .create({ filename: "huge.jsonl", purpose: "batch", bytes: 201 * 1024 * 1024, mime_type: "application/jsonl" })
      .catch((e: unknown) => e);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
    expect((error as Error).message).toMatch(/at most 209715200 bytes \(200 MB\)/);
  });

  it.each([
    ["an unknown part", (ids: string[]) => [...ids, "part_aaaaaaaaaaaaaaaaaaaaaaaa"], /is not a part of upload/],
    ["a repeated part", (ids: string[]) => [ids[0]!, ...ids], /repeats an earlier one/],
    ["a missing part", (ids: string[]) => ids.slice(1), /hold \d+ bytes, not the \d+ announced/],
    ["the parts out of order (a broken line)", (ids: string[]) => [...ids].reverse(), /Line \d+: /],
  ])("refuses a complete with %s, records no file, and can still be completed right", async (_, order, message) => {
    const { body } = bigInput(0.3);
    const { created, parts } = await upload(body, 100_000);
    const before = (await client.files.list()).data.length;
    const error = await client.uploads
      .complete(created.id, { part_ids: order(parts.map((p) => p.id)) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(message);
    expect((await client.files.list()).data.length).toBe(before);
    const done = await client.uploads.complete(created.id, { part_ids: parts.map((p) => p.id) });
    expect(done.status).toBe("completed");
    await expect(client.uploads.complete(created.id, { part_ids: parts.map((p) => p.id) })).rejects.toBeInstanceOf(
      OpenAI.ConflictError,
    );
  });

  it("refuses a wrong MD5 and a cancelled upload; another key cannot see an upload", async () => {
    const { body } = bigInput(0.1);
    const { created, parts } = await upload(body, 60_000);
    const ids = parts.map((p) => p.id);
    await expect(client.uploads.complete(created.id, { part_ids: ids, md5: "0".repeat(32) })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
    const other = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-other", maxRetries: 0 });
    await expect(other.uploads.complete(created.id, { part_ids: ids })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect((await client.uploads.cancel(created.id)).status).toBe("cancelled");
    await expect(client.uploads.complete(created.id, { part_ids: ids })).rejects.toBeInstanceOf(OpenAI.ConflictError);
    await expect(
      client.uploads.parts.create(created.id, { data: await toFile(Buffer.from("x"), "part") }),
    ).rejects.toBeInstanceOf(OpenAI.ConflictError);
  });

  it("serves the Python SDK's upload_file_chunked wire (JSON create, `data` parts named `upload`, complete)", async () => {
    const { body } = bigInput(0.2);
    const headers = { authorization: "Bearer sk-python", "content-type": "application/json" };
    const post = (path: string, init: RequestInit) =>
      fetch(`${gateway.url}/openai${path}`, { method: "POST", ...init });
    const created = (await (
      await post("/uploads", {
        headers,
        body: JSON.stringify({
          bytes: body.byteLength,
          filename: "a.jsonl",
          mime_type: "application/jsonl",
          purpose: "batch",
        }),
      })
    ).json()) as { id: string };
    const partIds: string[] = [];
    for (let offset = 0; offset < body.byteLength; offset += 64_000) {
      const part = pythonPart(body.subarray(offset, offset + 64_000));
      const response = await post(`/uploads/${created.id}/parts`, {
        headers: { authorization: headers.authorization, "content-type": part.contentType },
        body: part.body,
      });
      expect(response.status).toBe(200);
      partIds.push(((await response.json()) as { id: string }).id);
    }
    const done = (await (
      await post(`/uploads/${created.id}/complete`, { headers, body: JSON.stringify({ part_ids: partIds }) })
    ).json()) as { status: string; file: { bytes: number } };
    expect(done).toMatchObject({ status: "completed", file: { bytes: body.byteLength } });
  });
});
