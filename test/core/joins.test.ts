import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodeChunkMeta } from "../../lambdas/core/chunk-encoding";
import { createFileFromChunks, storedChunks } from "../../lambdas/core/files";
import { chunkMetaName } from "../../lambdas/core/layout";
import { minJoinPartBytes } from "../../lambdas/core/ports";
import { filesOnlyGateway } from "../support/memory";

const line = (i: number) => `${JSON.stringify({ custom_id: `r${i}`, body: { pad: "x".repeat(900) } })}\n`;

/** Chunks of JSONL of about `sizes` bytes each (whole lines), stored as API Gateway stores them, with their metadata. */
const stage = async (sizes: number[], meta: (body: Buffer, index: number) => Record<string, unknown> = () => ({})) => {
  const gateway = filesOnlyGateway();
  const concat = gateway.blobs.concat.bind(gateway.blobs);
  let joinedInS3 = 0;
  gateway.blobs.concat = async (...args) => {
    joinedInS3 += 1;
    return concat(...args);
  };
  let n = 0;
  const bodies = sizes.map((size) => {
    let text = "";
    while (text.length + 1000 < size) text += line(n++);
    return Buffer.from(text.padEnd(size, "\n"));
  });
  for (const [index, body] of bodies.entries()) {
    const key = `staged/uploads/u1/chunks/${String(index).padStart(5, "0")}`;
    await gateway.blobs.put(key, body, "application/octet-stream");
    gateway.blobs.blobs.get(key)!.metadata = { [chunkMetaName]: encodeChunkMeta(meta(body, index)) };
  }
  const join = async () =>
    createFileFromChunks(
      gateway.deps,
      { tenant: "t", dialect: "genai", provider: "gemini", filename: "in.jsonl", contentType: "application/jsonl" },
      await storedChunks(gateway.deps, await gateway.blobs.list("staged/uploads/u1/chunks/")),
    );
  return { gateway, bodies, join, joinedInS3: () => joinedInS3 };
};

describe("joining the chunks API Gateway stored", () => {
  it("joins parts S3 takes inside S3 (no byte through the Lambda), then reads the file once for its digest and lines", async () => {
    const { gateway, bodies, join, joinedInS3 } = await stage([minJoinPartBytes, minJoinPartBytes, 1234]);
    const file = await join();
    const whole = Buffer.concat(bodies);
    expect(joinedInS3()).toBe(1);
    expect(file).toMatchObject({
      bytes: whole.byteLength,
      sha256: createHash("sha256").update(whole).digest("hex"),
      purpose: "batch",
    });
    expect(file.lineCount).toBeGreaterThan(10_000);
    expect(Buffer.compare(await gateway.deps.blobs.read(file.blobKey).then(Buffer.from), whole)).toBe(0);
  });

  it("still checks each chunk's announced SHA-256 at its boundary, and keeps nothing when one does not hold", async () => {
    const { gateway, join, joinedInS3 } = await stage([minJoinPartBytes, minJoinPartBytes], (body, index) => ({
      sha256: createHash("sha256")
        .update(index === 1 ? Buffer.from("something else") : body)
        .digest("hex"),
    }));
    await expect(join()).rejects.toThrow(/Chunk 2 does not match the SHA-256 its request announced/);
    expect(joinedInS3()).toBe(1);
    expect([...gateway.blobs.blobs.keys()].filter((key) => !key.startsWith("staged/"))).toEqual([]);
  });

  it("streams the join where S3 cannot take the parts (a chunk under 5 MiB before the last), with the same result", async () => {
    const { bodies, join, joinedInS3 } = await stage([3000, minJoinPartBytes, 10]);
    const file = await join();
    expect(joinedInS3()).toBe(0);
    expect(file.bytes).toBe(Buffer.concat(bodies).byteLength);
  });

  it("a file whose lines are not all JSON objects is joined as a plain file", async () => {
    const { gateway, join, joinedInS3 } = await stage([minJoinPartBytes, 100]);
    const [last] = [...gateway.blobs.blobs.entries()].filter(([key]) => key.endsWith("00001"));
    last![1].body = Buffer.from("not json\n");
    const file = await join();
    expect(joinedInS3()).toBe(1);
    expect(file).toMatchObject({ purpose: "user_data", lineCount: undefined });
  });
});

describe("flexible checksums (x-amz-checksum-*), checked at the join as S3 checks them", () => {
  const crc32Of = (body: Buffer) => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(crc32(body) >>> 0);
    return out.toString("base64");
  };
  /** The body framed as the SDKs send `aws-chunked`, with a trailer. */
  const framed = (body: Buffer, trailer: string) =>
    Buffer.concat([
      Buffer.from(`${body.byteLength.toString(16)}\r\n`),
      body,
      Buffer.from(`\r\n0\r\n${trailer}\r\n\r\n`),
    ]);

  it("a header checksum of a chunk joined inside S3: the right one joins, a wrong one is BadDigest", async () => {
    const right = await stage([minJoinPartBytes, 100], (body) => ({
      checksum: { algorithm: "crc32", value: crc32Of(body) },
    }));
    await expect(right.join()).resolves.toMatchObject({ purpose: "batch" });
    const wrong = await stage([minJoinPartBytes, 100], (body, index) => ({
      checksum: { algorithm: "crc32", value: index === 1 ? "AAAAAA==" : crc32Of(body) },
    }));
    await expect(wrong.join()).rejects.toMatchObject({ code: "BadDigest", message: expect.stringMatching(/Chunk 2/) });
    expect(wrong.joinedInS3()).toBe(1);
  });

  it("a trailer checksum of an aws-chunked body: the right one joins, a wrong or missing one is refused", async () => {
    const join = async (trailer: (body: Buffer) => string) => {
      const { gateway, join: run } = await stage([2000], (body) => ({
        encoding: "aws-chunked",
        decodedLength: body.byteLength,
        checksum: { algorithm: "crc32" },
      }));
      const [key, stored] = [...gateway.blobs.blobs.entries()].find(([k]) => k.startsWith("staged/"))!;
      gateway.blobs.blobs.set(key, { ...stored, body: framed(stored.body, trailer(stored.body)) });
      return run();
    };
    await expect(join((body) => `x-amz-checksum-crc32:${crc32Of(body)}`)).resolves.toMatchObject({ purpose: "batch" });
    await expect(join(() => "x-amz-checksum-crc32:AAAAAA==")).rejects.toMatchObject({ code: "BadDigest" });
    await expect(join(() => "x-amz-other:1")).rejects.toMatchObject({ code: "InvalidRequest" });
  });
});
