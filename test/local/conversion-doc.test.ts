import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { conversionDocPath, unpadded, withCurrentTable } from "../../local/conversion-doc";

describe("docs/conversion.md", () => {
  it("shows the carriage table the gateway refuses and converts by (regenerate with npm run docs:conversion)", () => {
    const doc = readFileSync(conversionDocPath, "utf8");
    expect(unpadded(doc)).toBe(unpadded(withCurrentTable(doc)));
    expect(unpadded(doc)).toContain("|a tool_choice naming one tool|");
  });
});
