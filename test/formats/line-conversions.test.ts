import { describe, expect, it } from "vitest";
import { upstreamKey } from "../../lambdas/core/ids";
import { toBedrockRecord } from "../../lambdas/formats/bedrock-records";
import { inProcessConverter, lineChunks } from "../../lambdas/formats/line-conversions";

const line = (id: string, text: string) =>
  JSON.stringify({
    custom_id: id,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: "m", messages: [{ role: "user", content: text }] },
  });

const pieces = (text: string | Buffer, size: number): Buffer[] => {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
};

const convert = async (source: Buffer[]) => {
  const chunks: Buffer[] = [];
  let lines = 0;
  for await (const chunk of inProcessConverter.convert(
    (async function* () {
      yield* source;
    })(),
    "bedrock-records",
  )) {
    chunks.push(chunk.bytes);
    lines += chunk.lines;
  }
  return { text: Buffer.concat(chunks).toString("utf8"), lines };
};

describe("line conversions by chunks", () => {
  it("cuts whole lines, numbers them across chunks, and drops only a leading byte order mark", async () => {
    const text = `\ufeff${"a\n".repeat(5)}b\r\nc`;
    const units = [];
    for await (const unit of lineChunks(pieces(text, 3), 4)) units.push(unit);
    expect(Buffer.concat(units.map((u) => u.chunk)).toString()).toBe(text.slice(1));
    for (const unit of units) {
      const before = Buffer.concat(units.slice(0, units.indexOf(unit)).map((u) => u.chunk)).toString();
      expect(unit.firstLine).toBe(before.split("\n").length);
    }
  });

  it("converts every line as the per-line conversion does, skipping blank lines, whatever the chunking", async () => {
    const ids = ["a", "needs mapping/ü", "c"];
    const input = `${line(ids[0]!, "one")}\r\n\n${line(ids[1]!, 'two "quoted" 日本')}\n${line(ids[2]!, "three")}`;
    const expected = ids
      .map((id, i) =>
        JSON.stringify(
          toBedrockRecord(upstreamKey(id), {
            model: "m",
            messages: [{ role: "user", content: [{ type: "text", text: ["one", 'two "quoted" 日本', "three"][i]! }] }],
          }),
        ),
      )
      .join("\n");
    for (const size of [1, 7, 64, 100_000])
      expect(await convert(pieces(input, size))).toEqual({ text: `${expected}\n`, lines: 3 });
  });

  it("names the first bad line, counted across chunks: invalid JSON, an unknown format, invalid UTF-8", async () => {
    const good = `${line("a", "x")}\n`.repeat(3);
    await expect(convert(pieces(`${good}{"custom_id": \n`, 5))).rejects.toThrow(/Line 4: not valid JSON/);
    await expect(convert(pieces(`${good}{"what": 1}\n`, 5))).rejects.toThrow(/Line 4: not a batch request/);
    const bad = Buffer.concat([Buffer.from(good), Buffer.from([0xff]), Buffer.from("\n")]);
    await expect(convert(pieces(bad, 5))).rejects.toThrow(/Line 4: the file is not valid UTF-8/);
  });
});
