import { describe, expect, it } from "vitest";
import { stringifyJson } from "../../lambdas/core/json";

describe("stringifyJson", () => {
  it("writes exactly what JSON.stringify writes for the gateway's plain data", () => {
    const samples: unknown[] = [
      "plain prompt text, nothing to escape",
      'quotes " and \\ backslashes',
      "controls \n \r \t \u0000 \u001f and \u007f",
      "unicode é 日本 👋 and a lone surrogate \ud800 and \udc00 alone",
      "\u2028\u2029 line separators",
      "",
      0,
      -1.5e-7,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      true,
      null,
      [],
      {},
      [1, "two", null, undefined, () => 1, { three: [3] }],
      { a: 1, b: undefined, c: () => 1, d: Symbol("x"), 'key "quoted"': "v", nested: { list: [{ x: "y" }] } },
      { date: new Date(Date.UTC(2026, 11, 2)), toJSONs: { toJSON: () => ({ replaced: true }) } },
      Object.assign(Object.create({ inherited: 1 }), { own: 2 }),
    ];
    for (const sample of samples) expect(stringifyJson(sample)).toBe(JSON.stringify(sample) ?? "null");
  });
});
