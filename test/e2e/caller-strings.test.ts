import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GoogleGenAI } from "@google/genai";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerTextLimits, checkedContentType, checkedMetadata, checkedName } from "../../lambdas/core/caller-text";
import { BadRequestError } from "../../lambdas/core/errors";
import { startTestGateway } from "../support/gateway";

describe("strings a caller chooses, stored or echoed: bounded and checked where they enter (F6, F7, F24)", () => {
  it("content types, names and metadata: a 400 or a value safe to store and to put in a header (property)", () => {
    const safe = (value: string) => value.length <= 1024 && !["\r", "\n", "\u0000"].some((c) => value.includes(c));
    const refusedOrSafe = (check: () => string | undefined) => {
      try {
        const value = check();
        return value === undefined || safe(value);
      } catch (error) {
        return error instanceof BadRequestError;
      }
    };
    const hostile = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.constantFrom("application/jsonl\r\nX-Injected: 1", "a/b\u0000", "x".repeat(450_000)),
    );
    fc.assert(
      fc.property(hostile, (value) =>
        [
          () => checkedContentType(value),
          () => checkedName(value),
          () => JSON.stringify(checkedMetadata({ displayName: value })),
        ].every(refusedOrSafe),
      ),
      { numRuns: 3000 },
    );
    expect(checkedContentType("text/plain; charset=utf-8")).toBe("text/plain; charset=utf-8");
    expect(() => checkedMetadata({ displayName: "x".repeat(callerTextLimits.metadataValue + 1) })).toThrow();
  });

  describe("through the SDKs' own requests", () => {
    let gateway: Awaited<ReturnType<typeof startTestGateway>>;
    beforeAll(async () => {
      gateway = await startTestGateway();
    });
    afterAll(() => gateway.stop());

    it("GenAI: a MIME type with CR/LF is a 400, and the tenant's file list keeps working", async () => {
      const start = await fetch(`${gateway.url}/genai/upload/v1beta/files`, {
        method: "POST",
        headers: {
          "x-goog-api-key": "sk-strings",
          "x-goog-upload-protocol": "resumable",
          "x-goog-upload-command": "start",
          "x-goog-upload-header-content-length": "10",
          "content-type": "application/json",
        },
        body: JSON.stringify({ file: { mimeType: "application/jsonl\r\nX-Injected: 1", displayName: "a.jsonl" } }),
      });
      expect(start.status).toBe(400);
      expect(await start.text()).toContain("MIME type must be a media type");
      const ai = new GoogleGenAI({ apiKey: "sk-strings", httpOptions: { baseUrl: `${gateway.url}/genai` } });
      const listed = [];
      for await (const file of await ai.files.list()) listed.push(file);
      expect(listed).toEqual([]);
    });

    it("GenAI: a 450 kB batch display name is a 400 before anything is reserved or written", async () => {
      const ai = new GoogleGenAI({ apiKey: "sk-strings-2", httpOptions: { baseUrl: `${gateway.url}/genai` } });
      const created = ai.batches.create({
        model: "gemini-2.5-flash",
        src: [{ contents: [{ parts: [{ text: "Hi" }], role: "user" }] }],
        config: { displayName: "x".repeat(450_000) },
      });
      await expect(created).rejects.toMatchObject({ status: 400 });
      const batches = [];
      for await (const batch of await ai.batches.list()) batches.push(batch);
      expect(batches).toEqual([]);
    });

    it.each(["a..b", "192.168.1.1", "xn--abc", "bucket-s3alias", "a.-b"])(
      "S3: the bucket name %s, which S3 forbids, is InvalidBucketName",
      async (bucket) => {
        const s3 = new S3Client({
          endpoint: `${gateway.url}/bedrock/files`,
          region: "us-west-2",
          credentials: { accessKeyId: "AKIDSTRINGS", secretAccessKey: "s" },
          forcePathStyle: true,
        });
        await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x" }))).rejects.toMatchObject({
          name: "InvalidBucketName",
        });
        await expect(s3.send(new ListObjectsV2Command({ Bucket: bucket }))).rejects.toMatchObject({
          name: "InvalidBucketName",
        });
      },
    );
  });
});
