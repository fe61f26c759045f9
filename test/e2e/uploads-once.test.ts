import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway";

describe("uploads end once, and whole (F8, F13, F16)", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.stop());

  /** A GenAI resumable upload of `size` bytes, started as the SDK starts one; its upload URL. */
  const startResumable = async (key: string, size: number) => {
    const started = await fetch(`${gateway.url}/genai/upload/v1beta/files`, {
      method: "POST",
      headers: {
        "x-goog-api-key": key,
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": String(size),
        "x-goog-upload-header-content-type": "application/jsonl",
        "content-type": "application/json",
      },
      body: JSON.stringify({ file: { mimeType: "application/jsonl", displayName: "in.jsonl" } }),
    });
    expect(started.status).toBe(200);
    return started.headers.get("x-goog-upload-url")!;
  };
  const chunk = (url: string, key: string, offset: number, body: string, command = "upload, finalize") =>
    fetch(url, {
      method: "POST",
      headers: { "x-goog-api-key": key, "x-goog-upload-command": command, "x-goog-upload-offset": String(offset) },
      body,
    });

  it("GenAI: finalizing short of the announced size is a 400 naming both; the whole upload then finalizes", async () => {
    const line = '{"key":"k1","request":{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}}\n';
    const url = await startResumable("sk-short", line.length);
    const short = await chunk(url, "sk-short", 0, line.slice(0, 1));
    expect(short.status).toBe(400);
    expect(await short.text()).toMatch(new RegExp(`end at byte 1, short of the ${line.length} bytes announced`));
    const whole = await chunk(url, "sk-short", 0, line);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("x-goog-upload-status")).toBe("final");
  });

  it("GenAI: four racing finalizes make one file, and every racer is answered with it", async () => {
    const line = '{"key":"k1","request":{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}}\n';
    const url = await startResumable("sk-race", line.length);
    const answers = await Promise.all([0, 1, 2, 3].map(() => chunk(url, "sk-race", 0, line)));
    const names = await Promise.all(
      answers.map(async (a) => ((await a.json()) as { file: { name: string } }).file.name),
    );
    expect(new Set(names).size).toBe(1);
    const listed = await fetch(`${gateway.url}/genai/v1beta/files`, { headers: { "x-goog-api-key": "sk-race" } });
    expect(((await listed.json()) as { files: unknown[] }).files).toHaveLength(1);
  });

  it("OpenAI: four racing uploads.complete make one file, the same for every racer", async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-complete-race", maxRetries: 0 });
    const bytes = Buffer.from("hello, once\n");
    const upload = await client.uploads.create({
      bytes: bytes.byteLength,
      filename: "once.txt",
      mime_type: "text/plain",
      purpose: "user_data",
    });
    const part = await client.uploads.parts.create(upload.id, { data: await toFile(bytes, "part") });
    const completes = await Promise.all(
      [0, 1, 2, 3].map(() => client.uploads.complete(upload.id, { part_ids: [part.id] })),
    );
    expect(new Set(completes.map((c) => c.file?.id)).size).toBe(1);
    expect((await client.files.list()).data.map((f) => f.id)).toEqual([completes[0]!.file!.id]);
  });

  it("S3: one part sent twice at once is one body or the other, whole, and completes every time (F13)", async () => {
    const s3 = new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTWICE", secretAccessKey: "s" },
      forcePathStyle: true,
    });
    const size = 6 * 1024 * 1024;
    const bodies = [Buffer.alloc(size, "X"), Buffer.alloc(size, "Y")];
    for (let trial = 0; trial < 4; trial++) {
      const Key = `twice-${trial}.bin`;
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: "parts", Key }));
      await Promise.all(
        bodies.map((Body) => s3.send(new UploadPartCommand({ Bucket: "parts", Key, UploadId, PartNumber: 1, Body }))),
      );
      const { Parts } = await s3.send(new ListPartsCommand({ Bucket: "parts", Key, UploadId }));
      expect(Parts).toHaveLength(1);
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: "parts",
          Key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: Parts![0]!.ETag }] },
        }),
      );
      const object = Buffer.from(
        await (await s3.send(new GetObjectCommand({ Bucket: "parts", Key }))).Body!.transformToByteArray(),
      );
      expect(object.length).toBe(size);
      expect(bodies.some((body) => body.equals(object))).toBe(true);
    }
  }, 60_000);
});
