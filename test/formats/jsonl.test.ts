import { describe, expect, it } from "vitest";
import { BadRequestError } from "../../lambdas/core/errors";
import { readLines, validateJsonlObjects } from "../../lambdas/formats/jsonl";

const chunks = (text: string | Buffer, size: number): Buffer[] => {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
};

const collect = async (source: Iterable<Uint8Array>) => {
  const lines = [];
  for await (const line of readLines(source)) lines.push(line);
  return lines;
};

describe("readLines", () => {
  it("splits on LF and CRLF across arbitrary chunk boundaries, numbering from 1", async () => {
    const text = '{"a":"é"}\r\n{"b":"日本"}\n\n{"c":3}';
    for (const size of [1, 2, 3, 7, 1000]) {
      expect(await collect(chunks(text, size))).toEqual([
        { lineNumber: 1, text: '{"a":"é"}' },
        { lineNumber: 2, text: '{"b":"日本"}' },
        { lineNumber: 3, text: "" },
        { lineNumber: 4, text: '{"c":3}' },
      ]);
    }
  });

  it("drops a leading byte order mark, and only a leading one, whatever the chunking", async () => {
    const bom = "\ufeff";
    for (const size of [1, 2, 3, 5, 1000]) {
      expect(await collect(chunks(`${bom}{"a":1}\n${bom}{"b":2}`, size))).toEqual([
        { lineNumber: 1, text: '{"a":1}' },
        { lineNumber: 2, text: `${bom}{"b":2}` },
      ]);
      expect(await collect(chunks(`a\n${bom}b\r\n`, size))).toEqual([
        { lineNumber: 1, text: "a" },
        { lineNumber: 2, text: `${bom}b` },
      ]);
    }
  });

  it("reports invalid UTF-8 with the line it is on, also on the last line and in a split character", async () => {
    const last = Buffer.concat([Buffer.from('{"a":1}\n{"a":2}\n{"b":"'), Buffer.from([0xe6, 0x97])]);
    for (const size of [1, 3, 1000]) {
      await expect(collect(chunks(last, size))).rejects.toThrow(/Line 3: the file is not valid UTF-8/);
    }
  });

  it("reports invalid UTF-8 with the line it is on", async () => {
    const bytes = Buffer.concat([Buffer.from('{"a":1}\n{"b":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
    await expect(collect(chunks(bytes, 4))).rejects.toThrow(/Line 2: the file is not valid UTF-8/);
  });
});

describe("validateJsonlObjects", () => {
  it("counts request lines and skips blank ones", async () => {
    expect(await validateJsonlObjects([Buffer.from('{"a":1}\n\n  \n{"b":2}\n')])).toBe(2);
  });

  it.each([
    ['{"a":1}\n{"a":\n', /Line 2: not valid JSON/],
    ['{"a":1}\n"text"\n', /Line 2: expected a JSON object, got string/],
    ['{"a":1}\n{"b":2}\nnull', /Line 3: expected a JSON object, got null/],
    ["\n\n", /holds no JSONL lines/],
    [
      '[{"custom_id":"a"},{"custom_id":"b"}]\n',
      /^Line 1: expected a JSON object, got an array\. The file is a JSON array; a batch input is JSONL/,
    ],
    [
      '[\n  {"custom_id": "a"}\n]\n',
      /^Line 1: not valid JSON \(.*\)\. The file is a JSON array; a batch input is JSONL/,
    ],
    ['{\n  "custom_id": "a"\n}\n', /^Line 1: not valid JSON \(.*\)\. It looks like JSON spread over several lines/],
    [
      "custom_id,prompt\nr1,hello\n",
      /^Line 1: not valid JSON \(.*\)\. The file looks like CSV; a batch input is JSONL/,
    ],
  ])("refuses %j", async (text, message) => {
    const error = await validateJsonlObjects([Buffer.from(text)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toMatch(message);
  });
});
