import { describe, expect, it } from "vitest";
import { unflattenBrackets } from "../../lambdas/http/request";

describe("unflattenBrackets", () => {
  it("nests the Python SDK's bracketed form and query keys", () => {
    expect(
      unflattenBrackets([
        ["purpose", "batch"],
        ["storage_config[s3][bucket]", "b1"],
        ["storage_config[s3][region]", "us-west-2"],
        ["expires_after[seconds]", "3600"],
        ["arr[]", "a"],
        ["arr[]", "b"],
      ]),
    ).toEqual({
      purpose: "batch",
      storage_config: { s3: { bucket: "b1", region: "us-west-2" } },
      expires_after: { seconds: "3600" },
      arr: ["a", "b"],
    });
  });

  it("keeps keys that are not bracket paths as they are", () => {
    expect(
      unflattenBrackets([
        ["a]b", "1"],
        ["[x]", "2"],
      ]),
    ).toEqual({ "a]b": "1", "[x]": "2" });
  });
});
