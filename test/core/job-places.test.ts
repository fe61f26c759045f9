import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grantedJobPlaces, narrowedTo, noJobPlaces, parseGrant, placeHolding } from "../../lambdas/core/job-places";

const place = (text: string) => parseGrant(text);

describe("job places: grants under the stack's ceiling", () => {
  it("narrows each grant to where it meets the ceiling", () => {
    const ceiling = [place("team-data/batches/"), place("archive")];
    expect(narrowedTo(ceiling, [place("team-data/batches/team-a/")])).toEqual([place("team-data/batches/team-a/")]);
    expect(narrowedTo(ceiling, [place("team-data")])).toEqual([place("team-data/batches/")]);
    expect(narrowedTo(ceiling, [place("team-data/elsewhere/"), place("other/")])).toEqual([]);
    expect(narrowedTo(ceiling, [place("archive/2026/")])).toEqual([place("archive/2026/")]);
  });

  it("never lets a key reach a place outside both its grants and the ceiling (any keys)", () => {
    const segment = fc.constantFrom("a", "b", "ab", "team-a", "team-ab");
    const prefix = fc.array(segment, { maxLength: 3 }).map((parts) => parts.map((p) => `${p}/`).join(""));
    const grant = fc.tuple(fc.constantFrom("bucket-one", "bucket-two"), prefix).map(([b, p]) => place(`${b}/${p}`));
    fc.assert(
      fc.property(fc.array(grant), fc.array(grant), grant, fc.string(), (ceiling, grants, probe, tail) => {
        const key = `${probe.prefix}${tail}`;
        const reached = placeHolding(narrowedTo(ceiling, grants), probe.bucket, key) !== undefined;
        const inCeiling = placeHolding(ceiling, probe.bucket, key) !== undefined;
        const inGrants = placeHolding(grants, probe.bucket, key) !== undefined;
        expect(reached).toBe(inCeiling && inGrants);
      }),
    );
  });

  it("takes only bucket names and prefixes ending at a '/'", () => {
    expect(place("s3://team-data/batches/")).toEqual({ bucket: "team-data", prefix: "batches/" });
    expect(() => place("team-data/team-a")).toThrow(/ends with '\/'/);
    expect(() => place("Team_Data/x/")).toThrow(/bucket name/);
    expect(() => place("")).toThrow(/bucket name/);
  });

  it("grants nothing without a ceiling, and nothing by default", async () => {
    const store = { get: async () => [place("team-data/")], set: async () => {} };
    expect(await grantedJobPlaces(store, []).of("t")).toEqual([]);
    expect(await noJobPlaces.of("t")).toEqual([]);
  });
});
