import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { successorOf } from "../../lambdas/core/ports";
import { listObjects } from "../../lambdas/dialects/bedrock/s3-namespace";
import { filesOnlyGateway } from "../support/memory";

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** What ListObjectsV2 must answer, in order: each key once, as itself or under its common prefix. */
const expected = (keys: string[], prefix: string, delimiter: string | undefined) => {
  const items: string[] = [];
  for (const key of [...keys].sort(utf8Order)) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    const item = cut >= 0 ? `P:${prefix}${rest.slice(0, cut + delimiter!.length)}` : `K:${key}`;
    if (items.at(-1) !== item) items.push(item);
  }
  return items;
};

describe("ListObjectsV2 advances by construction (F9), for any keys S3 allows", () => {
  const char = fc.constantFrom("a", "b", "/", "é", "\u{10FFFF}", "\uFFFF", "\u{1F600}", "z");
  const key = fc.array(char, { minLength: 1, maxLength: 6 }).map((c) => c.join(""));

  it("pages every key exactly once, in order, and always ends (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(key, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(undefined, "/", "\u{10FFFF}", "é"),
        fc.constantFrom("", "a", "a/", "\u{10FFFF}"),
        fc.integer({ min: 1, max: 4 }),
        async (keys, delimiter, prefix, maxKeys) => {
          const { deps } = filesOnlyGateway();
          for (const k of [...keys, "anchor-key"])
            await deps.namespace.put({
              tenant: "t",
              bucket: "b-bucket",
              key: k,
              fileId: "f",
              size: 1,
              contentType: "text/plain",
              lastModified: 0,
            });
          const seen: string[] = [];
          let token: string | undefined;
          for (let page = 0; ; page++) {
            expect(page).toBeLessThan(keys.length + 3);
            const listed = await listObjects(deps, "t", "b-bucket", {
              prefix,
              delimiter,
              maxKeys,
              continuationToken: token,
            });
            seen.push(...listed.contents.map((c) => `K:${c.key}`), ...listed.commonPrefixes.map((p) => `P:${p}`));
            if (!listed.truncated) break;
            expect(listed.nextToken).not.toBe(token);
            token = listed.nextToken;
          }
          expect([...seen].sort()).toEqual(expected([...keys, "anchor-key"], prefix, delimiter).sort());
        },
      ),
      { numRuns: 400 },
    );
  });

  it("the finding's keys: one a/ prefix and b.txt, in one request", async () => {
    const { deps } = filesOnlyGateway();
    for (const k of ["a/\u{10FFFF}x", "a/\u{10FFFF}y", "b.txt"])
      await deps.namespace.put({
        tenant: "t",
        bucket: "looptest",
        key: k,
        fileId: "f",
        size: 1,
        contentType: "x",
        lastModified: 0,
      });
    const listed = await listObjects(deps, "t", "looptest", { prefix: "", delimiter: "/", maxKeys: 1000 });
    expect(listed).toMatchObject({ commonPrefixes: ["a/"], truncated: false });
    expect(listed.contents.map((c) => c.key)).toEqual(["b.txt"]);
    expect(successorOf("a/")).toBe("a0");
    expect(successorOf("\u{10FFFF}")).toBeUndefined();
  });
});
