import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { composeEngine, type EngineParts, type GatewayParts, gatewayDeps } from "../../lambdas/app/compose";
import { runTask, type TaskEvent } from "../../lambdas/app/task";
import type { BatchEngine, Route } from "../../lambdas/core/batch-engine";
import type { NeutralRequest } from "../../lambdas/core/chat";
import { defaultConfig } from "../../lambdas/core/config";
import type { GatewayDeps } from "../../lambdas/core/deps";
import { createFile, type FileDeps } from "../../lambdas/core/files";
import { upstreamKey } from "../../lambdas/core/ids";
import { stringifyJson } from "../../lambdas/core/json";
import { noLimits } from "../../lambdas/core/limits";
import type { AnyRecord, BatchRecord, Dialect, ListQuery, ObjectKind, Page } from "../../lambdas/core/model";
import {
  type BatchRunner,
  type BlobStore,
  type InputRequest,
  minJoinPartBytes,
  type NamespaceEntry,
  type NamespaceIndex,
  type NamespaceListing,
  type ObjectRepository,
  type StoredBlob,
  type SubmitInput,
  type UpdateGuard,
} from "../../lambdas/core/ports";
import { dialects } from "../../lambdas/dialects/registry";
import { toBedrockRecord } from "../../lambdas/formats/bedrock-records";

type Of<K extends ObjectKind> = Extract<AnyRecord, { kind: K }>;

const clone = <T>(value: T): T => structuredClone(value);
const sortKey = (record: AnyRecord) => `${String(record.createdAt).padStart(15, "0")}#${record.id}`;

/** The object repository in memory, with the DynamoDB repository's semantics (test/state runs both on one suite). */
export class MemoryRepository implements ObjectRepository {
  readonly items = new Map<string, AnyRecord>();

  constructor(private readonly now: () => number = Date.now) {}

  async create(record: AnyRecord): Promise<boolean> {
    if (this.items.has(record.id)) return false;
    this.items.set(record.id, clone(record));
    return true;
  }

  async get<K extends ObjectKind>(kind: K, tenant: string, id: string): Promise<Of<K> | undefined> {
    const item = this.live(id, kind);
    return item && item.tenant === tenant ? clone(item) : undefined;
  }

  async getById<K extends ObjectKind>(kind: K, id: string): Promise<Of<K> | undefined> {
    const item = this.live(id, kind);
    return item ? clone(item) : undefined;
  }

  async list<K extends ObjectKind>(kind: K, tenant: string, query: ListQuery): Promise<Page<Of<K>>> {
    const cursor = query.after === undefined ? undefined : await this.get(kind, tenant, query.after);
    const sign = query.order === "asc" ? 1 : -1;
    const matching = [...this.items.values()]
      .filter((item): item is Of<K> => item.kind === kind && item.tenant === tenant && !this.expired(item))
      .filter((item) =>
        Object.entries(query.where ?? {}).every(
          ([field, value]) => value === undefined || (item as unknown as Record<string, unknown>)[field] === value,
        ),
      )
      .filter((item) => !cursor || sign * sortKey(item).localeCompare(sortKey(cursor)) > 0)
      .sort((a, b) => sign * sortKey(a).localeCompare(sortKey(b)));
    return { items: matching.slice(0, query.limit).map(clone), hasMore: matching.length > query.limit };
  }

  async update<K extends ObjectKind>(
    kind: K,
    id: string,
    changes: Partial<Of<K>>,
    guard: UpdateGuard = {},
  ): Promise<Of<K> | undefined> {
    const item = this.items.get(id);
    if (!item || item.kind !== kind) return undefined;
    if (guard.statusIn && !guard.statusIn.includes((item as { status?: string }).status ?? "")) return undefined;
    if (guard.absent?.some((field) => (item as unknown as Record<string, unknown>)[field] !== undefined))
      return undefined;
    const updated = { ...item } as Record<string, unknown>;
    for (const [field, value] of Object.entries(changes)) {
      if (value === undefined) delete updated[field];
      else updated[field] = clone(value);
    }
    this.items.set(id, updated as unknown as AnyRecord);
    return clone(updated) as unknown as Of<K>;
  }

  async *watched(): AsyncGenerator<BatchRecord> {
    const watched = [...this.items.values()].filter(
      (item): item is BatchRecord => item.kind === "batch" && !!item.watch,
    );
    for (const batch of watched.sort((a, b) => sortKey(a).localeCompare(sortKey(b)))) yield clone(batch);
  }

  async delete<K extends ObjectKind>(kind: K, tenant: string, id: string): Promise<Of<K> | undefined> {
    const item = this.items.get(id);
    if (!item || item.kind !== kind || item.tenant !== tenant) return undefined;
    this.items.delete(id);
    return this.expired(item) ? undefined : (item as Of<K>);
  }

  private live<K extends ObjectKind>(id: string, kind: K): Of<K> | undefined {
    const item = this.items.get(id);
    return item && item.kind === kind && !this.expired(item) ? (item as Of<K>) : undefined;
  }

  private expired(item: AnyRecord): boolean {
    return item.expiresAt !== undefined && item.expiresAt <= this.now();
  }
}

/** A blob store in memory; streams are read in 64 KiB chunks, as S3 bodies arrive in pieces. */
export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<
    string,
    { body: Buffer; contentType: string; metadata?: Record<string, string>; lastModified?: number }
  >();

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    this.blobs.set(key, { body: Buffer.from(body), contentType });
  }

  async putStream(key: string, body: Readable, contentType: string): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    this.blobs.set(key, { body: Buffer.concat(chunks), contentType });
  }

  async exists(key: string): Promise<boolean> {
    return this.blobs.has(key);
  }

  async stream(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const body = range ? this.body(key).subarray(range.start, range.end + 1) : this.body(key);
    const chunks = Array.from({ length: Math.ceil(body.byteLength / 65_536) }, (_, i) =>
      body.subarray(i * 65_536, (i + 1) * 65_536),
    );
    return Readable.from(chunks);
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Uint8Array> {
    const body = this.body(key);
    return range ? body.subarray(range.start, range.end + 1) : body;
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const key of [...this.blobs.keys()]) if (key.startsWith(prefix)) this.blobs.delete(key);
  }

  async list(prefix: string): Promise<StoredBlob[]> {
    return [...this.blobs.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, { body, lastModified }]) => ({
        key,
        size: body.byteLength,
        etag: `"${createHash("md5").update(body).digest("hex")}"`,
        lastModified: lastModified ?? 0,
      }));
  }

  /** Other buckets of the account, by name (a team's own buckets). */
  readonly buckets = new Map<string, Map<string, Buffer>>();

  async copyIn(from: { bucket: string; key: string }, toKey: string) {
    const body = this.buckets.get(from.bucket)?.get(from.key);
    if (!body) return undefined;
    this.blobs.set(toKey, { body, contentType: "application/octet-stream" });
    return { size: body.byteLength, contentType: "application/octet-stream" };
  }

  async copyOut(fromKey: string, to: { bucket: string; key: string }): Promise<void> {
    const bucket = this.buckets.get(to.bucket) ?? new Map<string, Buffer>();
    bucket.set(to.key, this.body(fromKey));
    this.buckets.set(to.bucket, bucket);
  }

  /** Joins as S3 does: every source but the last at least a part's minimum, or the join is refused. */
  async concat(toKey: string, fromKeys: readonly string[], contentType: string): Promise<void> {
    const bodies = fromKeys.map((key) => this.body(key));
    if (bodies.slice(0, -1).some((body) => body.byteLength < minJoinPartBytes))
      throw new Error("EntityTooSmall: every part but the last must hold 5 MiB");
    this.blobs.set(toKey, { body: Buffer.concat(bodies), contentType });
  }

  async metadata(key: string): Promise<Record<string, string>> {
    this.body(key);
    return this.blobs.get(key)?.metadata ?? {};
  }

  async presignGet(key: string): Promise<string> {
    return `memory://${key}`;
  }

  private body(key: string): Buffer {
    const blob = this.blobs.get(key);
    if (!blob) throw Object.assign(new Error(`NoSuchKey: ${key}`), { name: "NoSuchKey" });
    return blob.body;
  }
}

/** The bucket/key namespace in memory, in byte order like the DynamoDB index. */
export class MemoryNamespaceIndex implements NamespaceIndex {
  private readonly entries = new Map<string, NamespaceEntry>();
  private readonly id = (tenant: string, bucket: string, key: string) => `${tenant}\0${bucket}\0${key}`;

  async put(entry: NamespaceEntry): Promise<NamespaceEntry | undefined> {
    const id = this.id(entry.tenant, entry.bucket, entry.key);
    const old = this.entries.get(id);
    this.entries.set(id, { ...entry });
    return old;
  }

  async get(tenant: string, bucket: string, key: string): Promise<NamespaceEntry | undefined> {
    return this.entries.get(this.id(tenant, bucket, key));
  }

  async delete(tenant: string, bucket: string, key: string): Promise<NamespaceEntry | undefined> {
    const id = this.id(tenant, bucket, key);
    const old = this.entries.get(id);
    this.entries.delete(id);
    return old;
  }

  async list(tenant: string, bucket: string, options: NamespaceListing) {
    const order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const keys = [...this.entries.values()]
      .filter((e) => e.tenant === tenant && e.bucket === bucket && e.key.startsWith(options.prefix))
      .filter((e) => options.startAfter === undefined || order(e.key, options.startAfter) > 0)
      .filter((e) => options.startAt === undefined || order(e.key, options.startAt) >= 0)
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    return { entries: keys.slice(0, options.limit), truncated: keys.length > options.limit };
  }
}

/**
 * A runner that records what it was asked and runs nothing by itself: a test drives the engine's tasks, or calls
 * `runToEnd` to run them in the order the state machine would.
 */
export class RecordingRunner implements BatchRunner {
  readonly started: BatchRecord[] = [];
  readonly cancelled: BatchRecord[] = [];
  readonly resumed: BatchRecord[] = [];
  /** The ids whose executions run (started ones, unless a test says otherwise). */
  readonly live = new Set<string>();

  async start(batch: BatchRecord): Promise<void> {
    this.started.push(batch);
    this.live.add(batch.id);
  }

  async running(batch: BatchRecord): Promise<boolean> {
    return this.live.has(batch.id);
  }

  async resume(batch: BatchRecord): Promise<void> {
    this.resumed.push(batch);
    this.live.add(batch.id);
  }

  async cancel(batch: BatchRecord): Promise<void> {
    this.cancelled.push(batch);
  }
}

/**
 * Runs a batch's tasks in the state machine's order (submit, poll until collect, collect; `fail` on an error, as
 * the Catch does) through the same task function the Lambda runs, without waiting between polls.
 */
export const runToEnd = async (
  engine: BatchEngine,
  batch: Pick<BatchRecord, "id" | "tenant">,
  maxPolls = 100,
): Promise<Route[]> => {
  const task = (action: TaskEvent["action"], attempt?: number) =>
    runTask(engine, { action, batchId: batch.id, tenant: batch.tenant, attempt });
  const routes: Route[] = [];
  try {
    let route = await task("submit");
    routes.push(route);
    while (route.next === "wait" && routes.length <= maxPolls) {
      route = await task("poll", route.attempt);
      routes.push(route);
    }
    if (route.next === "collect") routes.push(await task("collect"));
  } catch (error) {
    const cause = JSON.stringify({ errorMessage: (error as Error).message });
    routes.push(
      await runTask(engine, {
        action: "fail",
        batchId: batch.id,
        tenant: batch.tenant,
        error: { Error: (error as Error).name, Cause: cause },
      }),
    );
  }
  return routes;
};

/** The in-memory gateway of a test that runs no batch: its engine has no provider to reach. */
export const filesOnlyGateway = () => memoryGateway({ providers: {} } as unknown as EngineParts);

/** A whole gateway on in-memory parts: core operations, every dialect's sink and the engine, no emulator. */
export const memoryGateway = (
  engineParts: EngineParts,
  overrides: Partial<GatewayParts> = {},
): {
  deps: GatewayDeps;
  engine: BatchEngine;
  repo: MemoryRepository;
  blobs: MemoryBlobStore;
  runner: RecordingRunner;
} => {
  const repo = new MemoryRepository();
  const blobs = new MemoryBlobStore();
  const runner = new RecordingRunner();
  const deps = gatewayDeps({
    repo,
    blobs,
    namespace: new MemoryNamespaceIndex(),
    config: defaultConfig,
    runner,
    limiter: noLimits,
    deployment: { accountId: "000000000000", region: "us-east-1" },
    ...overrides,
  });
  return { deps, engine: composeEngine(deps, dialects, engineParts), repo, blobs, runner };
};

/**
 * A submit input of neutral requests, as the engine hands one to an adapter: its `convert` yields each request as
 * the named conversion writes it (what converting the same requests' input lines gives).
 */
export const submitInputOf = (
  format: SubmitInput["format"],
  requests: () => AsyncIterable<InputRequest | NeutralRequest>,
  raw: SubmitInput["raw"] = () => Promise.reject(new Error("not used")),
): SubmitInput => ({
  format,
  requests: requests as SubmitInput["requests"],
  raw,
  async *convert() {
    const lines: string[] = [];
    for await (const request of requests())
      lines.push(stringifyJson(toBedrockRecord(upstreamKey(request.customId), request.request)));
    yield { bytes: Buffer.from(lines.map((line) => `${line}\n`).join("")), lines: lines.length };
  },
});

/** A batch input file of tenant `t` for OpenAI (`in.jsonl`), created through core as a caller's upload is. */
export const batchInputFile = (deps: FileDeps, body: string | Buffer, dialect: Dialect = "openai") =>
  createFile(deps, {
    tenant: "t",
    dialect,
    provider: "openai",
    filename: "in.jsonl",
    purpose: "batch",
    contentType: "application/jsonl",
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  });
