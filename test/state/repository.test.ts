import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../lambdas/core/ids";
import type { FileRecord } from "../../lambdas/core/model";
import type { ObjectRepository } from "../../lambdas/core/ports";
import { DynamoRepository } from "../../lambdas/state/dynamo-repository";
import { type Emulators, localNames, startEmulators } from "../../local/emulators";
import { MemoryRepository } from "../support/memory";

let clock = 1_800_000_000_000;
const file = (tenant: string, overrides: Partial<FileRecord> = {}): FileRecord => {
  const id = newId();
  clock += 1000;
  return {
    id,
    kind: "file",
    tenant,
    dialect: "openai",
    provider: "openai",
    createdAt: clock,
    expiresAt: clock + 86_400_000,
    filename: `${id}.jsonl`,
    purpose: "batch",
    bytes: 1,
    contentType: "application/jsonl",
    sha256: "0".repeat(64),
    blobKey: `files/${tenant}/${id}`,
    ...overrides,
  };
};

/**
 * One contract over both repositories: the DynamoDB one on dynalite, and the in-memory fake the core and engine
 * tests use, which must behave the same for those tests to mean anything.
 */
describe.each([
  ["DynamoRepository (on dynalite)", "dynamo"],
  ["MemoryRepository (the tests' fake)", "memory"],
] as const)("%s", (_, kind) => {
  let emulators: Emulators | undefined;
  let dataDir: string | undefined;
  let now = 1_800_000_000_000;
  let repo: ObjectRepository;

  beforeAll(async () => {
    if (kind === "memory") {
      repo = new MemoryRepository(() => now);
      return;
    }
    dataDir = await mkdtemp(join(tmpdir(), "finops-repo-"));
    emulators = await startEmulators(dataDir);
    repo = new DynamoRepository(emulators.dynamo, localNames.table, () => now);
  });
  afterAll(async () => {
    await emulators?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("stores and reads back an object only for its tenant and kind", async () => {
    const record = file("tenant-a");
    await repo.create(record);
    expect(await repo.get("file", "tenant-a", record.id)).toEqual(record);
    expect(await repo.get("file", "tenant-b", record.id)).toBeUndefined();
    expect(await repo.get("batch", "tenant-a", record.id)).toBeUndefined();
  });

  it("never overwrites an existing id", async () => {
    const record = file("tenant-a");
    await repo.create(record);
    expect(await repo.create({ ...record, filename: "other" })).toBe(false);
    expect((await repo.get("file", "tenant-a", record.id))?.filename).toBe(record.filename);
  });

  it("lists newest first with an exclusive cursor, in both orders", async () => {
    const records = [];
    for (let i = 0; i < 5; i++) records.push(file("lister"));
    for (const r of records) await repo.create(r);
    const ids = records.map((r) => r.id);
    const first = await repo.list("file", "lister", { limit: 2, order: "desc" });
    expect(first.items.map((r) => r.id)).toEqual([ids[4], ids[3]]);
    expect(first.hasMore).toBe(true);
    const rest = await repo.list("file", "lister", { limit: 10, order: "desc", after: ids[3] });
    expect(rest.items.map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(rest.hasMore).toBe(false);
    const asc = await repo.list("file", "lister", { limit: 3, order: "asc", after: ids[0] });
    expect(asc.items.map((r) => r.id)).toEqual([ids[1], ids[2], ids[3]]);
    expect(asc.hasMore).toBe(true);
  });

  it("filters by attributes without losing items past DynamoDB's page limit", async () => {
    const wanted: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = file("filter", { purpose: i % 10 === 0 ? "vision" : "batch" });
      if (r.purpose === "vision") wanted.push(r.id);
      await repo.create(r);
    }
    const page = await repo.list("file", "filter", { limit: 2, order: "asc", where: { purpose: "vision" } });
    expect(page.items.map((r) => r.id)).toEqual(wanted.slice(0, 2));
    expect(page.hasMore).toBe(true);
    const next = await repo.list("file", "filter", {
      limit: 2,
      order: "asc",
      after: wanted[1],
      where: { purpose: "vision" },
    });
    expect(next.items.map((r) => r.id)).toEqual([wanted[2]]);
    expect(next.hasMore).toBe(false);
  });

  it("hides expired objects before the TTL sweep removes them", async () => {
    const record = file("expiry", { expiresAt: now + 1000 });
    await repo.create(record);
    expect(await repo.get("file", "expiry", record.id)).toBeDefined();
    now += 2000;
    expect(await repo.get("file", "expiry", record.id)).toBeUndefined();
    expect((await repo.list("file", "expiry", { limit: 10, order: "desc" })).items).toEqual([]);
    now -= 2000;
  });

  it("deletes only the tenant's own object and returns what it was", async () => {
    const record = file("deleter");
    await repo.create(record);
    expect(await repo.delete("file", "someone-else", record.id)).toBeUndefined();
    expect(await repo.get("file", "deleter", record.id)).toBeDefined();
    expect(await repo.delete("file", "deleter", record.id)).toEqual(record);
    expect(await repo.get("file", "deleter", record.id)).toBeUndefined();
    expect(await repo.delete("file", "deleter", record.id)).toBeUndefined();
  });
});
