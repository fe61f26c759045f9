import { describe, expect, it } from "vitest";
import { idFromAnyRendering, isId, newId, parseId, renderId, tenantOf } from "../../lambdas/core/ids";

const idPrefix = { openaiFile: "file-", anthropicBatch: "msgbatch_" } as const;

describe("ids", () => {
  it("are 24 lowercase base32 characters and do not repeat", () => {
    const ids = new Set(Array.from({ length: 2000 }, newId));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^[a-z2-7]{24}$/);
  });

  it("render per dialect and parse back; foreign or malformed ids parse to undefined", () => {
    const id = newId();
    expect(parseId(idPrefix.openaiFile, renderId(idPrefix.openaiFile, id))).toBe(id);
    expect(parseId(idPrefix.anthropicBatch, renderId(idPrefix.anthropicBatch, id))).toBe(id);
    expect(parseId(idPrefix.openaiFile, `batch_${id}`)).toBeUndefined();
    expect(parseId(idPrefix.openaiFile, "file-abc123")).toBeUndefined();
    expect(parseId(idPrefix.openaiFile, `file-${id.toUpperCase()}`)).toBeUndefined();
    expect(isId(`${id}/../x`)).toBe(false);
  });

  it("find the gateway id in any dialect's rendering, and nothing in anything else", () => {
    const id = newId();
    for (const shown of [
      id,
      `file-${id}`,
      `file_${id}`,
      `files/${id}`,
      `batch_${id}`,
      `msgbatch_${id}`,
      `batches/${id}`,
    ])
      expect(idFromAnyRendering(shown), shown).toBe(id);
    for (const shown of [`file-${id}x`, `../${id}`, `a/b/${id}`, "file-abc", `${id.slice(1)}`])
      expect(idFromAnyRendering(shown), shown).toBeUndefined();
  });

  it("derive a stable tenant from a credential without containing it", () => {
    expect(tenantOf("sk-a")).toBe(tenantOf("sk-a"));
    expect(tenantOf("sk-a")).not.toBe(tenantOf("sk-b"));
    expect(tenantOf("sk-a")).toMatch(/^[0-9a-f]{32}$/);
    expect(tenantOf("sk-a")).not.toContain("sk-a");
  });
});
