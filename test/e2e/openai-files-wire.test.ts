import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway";

/**
 * The Python `openai` SDK's requests as captured from the real client (no Python runtime in CI):
 * `purpose` before `file`, `extra_body` as bracketed form fields, `content-type: application/json` on a
 * bodiless DELETE, and `extra_query` in bracket style.
 */
const pythonMultipart = (
  boundary: string,
  parts: { name: string; value: string; filename?: string; type?: string }[],
) =>
  `${parts
    .map((p) =>
      p.filename
        ? `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n${p.value}\r\n`
        : `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`,
    )
    .join("")}--${boundary}--\r\n`;

const pythonHeaders = {
  authorization: "Bearer sk-python",
  accept: "application/json",
  "user-agent": "OpenAI/Python 3.22.1",
};

describe("OpenAI files: the Python SDK's wire format", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());

  it("uploads with purpose first and nested extra_body fields, lists with bracketed extra_query, deletes with an empty JSON body", async () => {
    const boundary = "aad336e150d7b5df8fbc078c33c84df6";
    const line =
      '{"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}}\n';
    const body = pythonMultipart(boundary, [
      { name: "purpose", value: "batch" },
      { name: "expires_after[anchor]", value: "created_at" },
      { name: "expires_after[seconds]", value: "3600" },
      { name: "storage_config[s3][bucket]", value: "your-s3-bucket" },
      { name: "storage_config[s3][region]", value: "us-west-2" },
      { name: "provider", value: "bedrock" },
      { name: "file", value: line, filename: "batch_e2e.jsonl", type: "application/jsonl" },
    ]);
    const created = await fetch(`${gateway.url}/openai/files`, {
      method: "POST",
      headers: { ...pythonHeaders, "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(created.status).toBe(200);
    const file = (await created.json()) as {
      id: string;
      bytes: number;
      expires_at: number;
      created_at: number;
      purpose: string;
    };
    expect(file).toMatchObject({ bytes: Buffer.byteLength(line), purpose: "batch" });
    expect(file.expires_at - file.created_at).toBe(3600);

    const query = "limit=2&order=desc&purpose=batch&provider=bedrock&storage_config%5Bs3%5D%5Bbucket%5D=your-s3-bucket";
    const listed = await fetch(`${gateway.url}/openai/files?${query}`, { headers: pythonHeaders });
    expect(((await listed.json()) as { data: { id: string }[] }).data.map((f) => f.id)).toEqual([file.id]);

    const content = await fetch(`${gateway.url}/openai/files/${file.id}/content?provider=bedrock`, {
      headers: { ...pythonHeaders, accept: "application/binary" },
    });
    expect(await content.text()).toBe(line);

    const deleted = await fetch(`${gateway.url}/openai/files/${file.id}?provider=bedrock`, {
      method: "DELETE",
      headers: { ...pythonHeaders, "content-type": "application/json" },
    });
    expect(await deleted.json()).toEqual({ id: file.id, object: "file", deleted: true });
  });
});

describe("downloads too large for a Lambda response", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway({ config: { maxInlineDownloadBytes: 1024 } });
  });
  afterAll(() => gateway.stop());

  it("redirect to a presigned S3 URL that the SDK follows, bytes intact", async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-big", maxRetries: 0 });
    const payload = Buffer.from(Array.from({ length: 5000 }, (_, i) => String.fromCharCode(32 + (i % 90))).join(""));
    const file = await client.files.create({ file: await toFile(payload, "big.txt"), purpose: "user_data" });
    const raw = await fetch(`${gateway.url}/openai/files/${file.id}/content`, {
      headers: { authorization: "Bearer sk-big" },
      redirect: "manual",
    });
    expect(raw.status).toBe(302);
    expect(raw.headers.get("location")).toMatch(/X-Amz-Signature=/);
    const back = Buffer.from(await (await client.files.content(file.id)).arrayBuffer());
    expect(back.equals(payload)).toBe(true);
  });

  it("the Anthropic SDK (files.download, batch results) and the GenAI SDK (files.download) follow it too", async () => {
    const anthropic = new Anthropic({ baseURL: `${gateway.url}/anthropic`, apiKey: "sk-ant-big", maxRetries: 0 });
    const payload = Buffer.from("z".repeat(5000));
    const uploaded = await anthropic.beta.files.upload({
      file: await toFile(payload, "big.txt", { type: "text/plain" }),
    });
    const downloaded = Buffer.from(await (await anthropic.beta.files.download(uploaded.id)).arrayBuffer());
    expect(downloaded.equals(payload)).toBe(true);
    const batch = await anthropic.messages.batches.create({
      requests: Array.from({ length: 30 }, (_, i) => ({
        custom_id: `r${i}`,
        params: { model: "claude-3-5-haiku-latest", max_tokens: 16, messages: [{ role: "user", content: `${i}` }] },
      })),
    });
    let ended = batch;
    while (ended.processing_status !== "ended") {
      await new Promise((r) => setTimeout(r, 100));
      ended = await anthropic.messages.batches.retrieve(batch.id);
    }
    const ids: string[] = [];
    for await (const result of await anthropic.messages.batches.results(batch.id)) ids.push(result.custom_id);
    expect(ids.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `r${i}`).sort());
    const ai = new GoogleGenAI({ apiKey: "AIza-big", httpOptions: { baseUrl: `${gateway.url}/genai` } });
    const file = await ai.files.upload({
      file: new Blob([payload], { type: "text/plain" }),
      config: { mimeType: "text/plain" },
    });
    const path = join(await mkdtemp(join(tmpdir(), "genai-")), "out.txt");
    await ai.files.download({ file: file.name!, downloadPath: path });
    expect((await readFile(path)).equals(payload)).toBe(true);
  });
});

describe("local state", () => {
  it("survives a restart of the local gateway", async () => {
    const first = await startTestGateway();
    const before = new OpenAI({ baseURL: `${first.url}/openai`, apiKey: "sk-restart", maxRetries: 0 });
    const file = await before.files.create({
      file: await toFile(Buffer.from("kept across restarts"), "kept.txt"),
      purpose: "user_data",
    });
    await first.close();

    const second = await startTestGateway({ dataDir: first.dataDir });
    try {
      const after = new OpenAI({ baseURL: `${second.url}/openai`, apiKey: "sk-restart", maxRetries: 0 });
      expect((await after.files.list()).data.map((f) => f.id)).toEqual([file.id]);
      expect(await (await after.files.content(file.id)).text()).toBe("kept across restarts");
    } finally {
      await second.stop();
    }
  });
});
