import { describe, expect, it } from "vitest";
import {
  decodeAwsChunked,
  encodeChunkMeta,
  userMetadataBytes,
  userMetadataLimitBytes,
} from "../../lambdas/core/chunk-encoding";
import { chunkMetaName } from "../../lambdas/core/layout";

const frame = (data: string) =>
  `${Buffer.byteLength(data).toString(16)};chunk-signature=${"0".repeat(64)}\r\n${data}\r\n`;
const encoded = (parts: string[]) => `${parts.map(frame).join("")}0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n`;

const decode = async (bytes: string, pieceSize: number): Promise<string> => {
  const raw = Buffer.from(bytes);
  const pieces = Array.from({ length: Math.ceil(raw.byteLength / pieceSize) }, (_, i) =>
    raw.subarray(i * pieceSize, (i + 1) * pieceSize),
  );
  const out: Buffer[] = [];
  for await (const piece of decodeAwsChunked(pieces)) out.push(Buffer.from(piece));
  return Buffer.concat(out).toString("utf8");
};

describe("aws-chunked decoding as the body streams", () => {
  it("decodes frames split anywhere, leaving the trailers out", async () => {
    const body = encoded(['{"recordId":"1"}\n', "x".repeat(70_000), "tail é"]);
    for (const size of [1, 2, 3, 7, 64, 1000, 65_536, body.length])
      expect(await decode(body, size)).toBe(`{"recordId":"1"}\n${"x".repeat(70_000)}tail é`);
  });

  it("refuses framing that does not hold, saying how", async () => {
    await expect(decode("zz\r\nnot hex\r\n", 4)).rejects.toThrow(/not hexadecimal/);
    await expect(decode("3\r\nabcdef\r\n0\r\n\r\n", 5)).rejects.toThrow(/longer than its size/);
    await expect(decode(frame("abc"), 2)).rejects.toThrow(/ends before its last frame/);
  });
});

describe("what a staged body's metadata can hold", () => {
  it("fits S3's 2 KB of user metadata at its largest, whatever the key (no signature travels with it)", () => {
    const largest = encodeChunkMeta({
      encoding: "aws-chunked",
      decodedLength: 5 * 1024 ** 3,
      sha256: "f".repeat(64),
    });
    const metadata = { [chunkMetaName]: largest };
    expect(userMetadataBytes(metadata)).toBeLessThan(userMetadataLimitBytes / 8);
    expect(userMetadataBytes({ a: "é".repeat(1024) })).toBe(2049); // counted in UTF-8 bytes, names included
  });
});
