import type { Readable } from "node:stream";
import type { InputFormat, NeutralRequest } from "./chat";
import type {
  AnyRecord,
  BatchRecord,
  BatchStatus,
  Dialect,
  ListQuery,
  NeutralResult,
  ObjectKind,
  Page,
  Provider,
  RequestCounts,
  UpstreamRef,
} from "./model";

/** The only code that reads and writes object metadata. Every call is scoped to a tenant. */
export interface ObjectRepository {
  /** Stores a new object; false (and nothing written) when the id already exists. */
  create(record: AnyRecord): Promise<boolean>;
  /** The tenant's object, or undefined (also for another tenant's id and for expired objects). */
  get<K extends ObjectKind>(kind: K, tenant: string, id: string): Promise<Extract<AnyRecord, { kind: K }> | undefined>;
  /**
   * An object by id alone, for capability ids whose holder is authorised by knowing them (upload sessions,
   * whose chunk requests carry no API key in the Python SDK).
   */
  getById<K extends ObjectKind>(kind: K, id: string): Promise<Extract<AnyRecord, { kind: K }> | undefined>;
  /** A page of the tenant's objects of one kind. */
  list<K extends ObjectKind>(kind: K, tenant: string, query: ListQuery): Promise<Page<Extract<AnyRecord, { kind: K }>>>;
  /**
   * Sets fields of an object, optionally only while its status is one of `statusIn` (the guard against lost
   * updates and backwards transitions) and while the fields named in `absent` are unset (a one-time transition:
   * of racing callers, exactly one wins). Returns the updated object, or undefined when the guard failed.
   */
  update<K extends ObjectKind>(
    kind: K,
    id: string,
    changes: Partial<Extract<AnyRecord, { kind: K }>>,
    guard?: UpdateGuard,
  ): Promise<Extract<AnyRecord, { kind: K }> | undefined>;
  /** Every batch of every tenant still watched (`watch` set), oldest first: the reconciler's work list. */
  watched(): AsyncIterable<BatchRecord>;
  /** Removes the tenant's object and returns what it was; undefined when there was none. */
  delete<K extends ObjectKind>(
    kind: K,
    tenant: string,
    id: string,
  ): Promise<Extract<AnyRecord, { kind: K }> | undefined>;
}

/**
 * A named object of a tenant's namespace (a bucket and a key, as a caller named them) pointing at a file; the
 * AWS SDK dialect presents it as S3.
 */
export interface NamespaceEntry {
  tenant: string;
  bucket: string;
  key: string;
  /** The file the key holds ("" while the key holds nothing yet, only a pending body). */
  fileId: string;
  size: number;
  contentType: string;
  lastModified: number;
  /**
   * A body admitted for this key whose bytes API Gateway is storing (a staged PutObject): the key keeps what it
   * holds until they have arrived, then holds them (core/namespace.ts).
   */
  pending?: { fileId: string; at: number };
}

/** Where a namespace listing reads: under `prefix`, from `startAt` (inclusive) or after `startAfter` (exclusive). */
export interface NamespaceListing {
  prefix: string;
  startAfter?: string;
  startAt?: string;
  limit: number;
}

/** When an update may happen: while the status is one of `statusIn`, and while the fields `absent` are unset. */
export interface UpdateGuard {
  statusIn?: readonly string[];
  absent?: readonly string[];
}

/** The per-tenant bucket/key namespace, kept in key order for listing. */
export interface NamespaceIndex {
  /** Points a key at a file; returns the entry it replaced, if any. */
  put(entry: NamespaceEntry): Promise<NamespaceEntry | undefined>;
  get(tenant: string, bucket: string, key: string): Promise<NamespaceEntry | undefined>;
  delete(tenant: string, bucket: string, key: string): Promise<NamespaceEntry | undefined>;
  /**
   * Keys of one bucket in byte order, under `prefix`, from `startAt` (inclusive) or after `startAfter` (exclusive),
   * at most `limit`.
   */
  list(
    tenant: string,
    bucket: string,
    options: NamespaceListing,
  ): Promise<{ entries: NamespaceEntry[]; truncated: boolean }>;
}

/**
 * Monthly budgets per tenant, and what each month has committed: reservations of batches in flight and the costs
 * of settled ones. Amounts are integer micro-USD, so sums are exact. Every write is one conditional write on one
 * item (no transactions), so concurrent reservations can never pass the limit.
 */
/** What a reservation came to: held, or refused with the month's committed total or the open holds' cap. */
export type ReserveOutcome =
  | { reserved: true }
  | { reserved: false; committed: number }
  | { reserved: false; open: number };

/** A reservation not yet settled: the reconciler releases those whose batch was never written. */
export interface BudgetHold {
  tenant: string;
  month: string;
  batchId: string;
  amount: number;
  reservedAt: number;
}

export interface BudgetLedger {
  /** The tenant's monthly limit, or undefined when it has none. */
  limitOf(tenant: string): Promise<number | undefined>;
  setLimit(tenant: string, limit: number | undefined): Promise<void>;
  /**
   * Reserves `amount` for a batch if the month's committed total stays within `limit` (and the key has room for
   * another open hold); else the committed total (or the cap it reached). Reserving the same batch again holds.
   */
  reserve(
    tenant: string,
    month: string,
    batchId: string,
    amount: number,
    limit: number,
    now?: number,
  ): Promise<ReserveOutcome>;
  /**
   * Replaces a batch's reservation with its actual cost and closes the hold, once: a repeat finds it done and
   * changes nothing. An actual of 0 releases the reservation.
   */
  settle(tenant: string, month: string, batchId: string, reserved: number, actual: number): Promise<void>;
  /** What the month has committed so far. */
  committed(tenant: string, month: string): Promise<number>;
  /** Every reservation still open, of any tenant and month. */
  openHolds(): AsyncIterable<BudgetHold>;
}

/**
 * Where each batch's end is published, once it has ended (EventBridge in AWS, the local bus locally). A publish
 * that fails is tried again by the next run of the task or by the reconciler, so subscribers see each end at
 * least once, keyed by the batch id.
 */
export interface BatchEvents {
  ended(batch: BatchRecord): Promise<void>;
}

/** One event for the gateway's event bus, as EventBridge's PutEvents takes it. */
export interface BusEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  /** ARNs or ids the event is about. */
  resources?: string[];
}

/** The gateway's event bus: EventBridge in AWS, the local bus locally. */
export interface EventBus {
  put(event: BusEvent): Promise<void>;
}

/** Told of each batch's progress, to publish it as metrics. */
export interface EngineMetrics {
  /** Once it has settled (its cost, usage and end). */
  settled(batch: BatchRecord): void;
  /** Once its upstream job was created and recorded. */
  started(batch: BatchRecord): void;
  /** After its requests were converted for the upstream (`in`) or its results for the caller (`out`). */
  converted(batch: BatchRecord, direction: "in" | "out", requests: number, seconds: number): void;
}

/** An object of the blob store as a listing shows it. */
export interface StoredBlob {
  key: string;
  size: number;
  /** The store's entity tag, quoted as S3 answers it. */
  etag: string;
  lastModified: number;
}

/** Where bytes live (uploads, staged upstream inputs, converted results). */
export interface BlobStore {
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** Streams a body of unknown length into the store (multipart under the hood), never holding it whole. */
  putStream(key: string, body: Readable, contentType: string): Promise<void>;
  /** True when the object exists (callers need list access to the key's prefix). */
  exists(key: string): Promise<boolean>;
  /** The object, or the inclusive byte range `[start, end]` of it, as a stream (for conversion, and downloads). */
  stream(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** The object's bytes, or the inclusive byte range `[start, end]` of them. */
  read(key: string, range?: { start: number; end: number }): Promise<Uint8Array>;
  delete(key: string): Promise<void>;
  /** Removes every object whose key starts with `prefix` (what an abandoned upload stored). */
  deletePrefix(prefix: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in key order (chunks that arrived without passing a Lambda). */
  list(prefix: string): Promise<StoredBlob[]>;
  /** The user metadata stored with an object (`x-amz-meta-*`, names without the prefix). */
  metadata(key: string): Promise<Record<string, string>>;
  /**
   * Copies an object of another bucket of the account in (`toKey` here), inside S3, never through this process;
   * answers its size and content type, or undefined when there is no such object.
   */
  copyIn(
    from: { bucket: string; key: string },
    toKey: string,
  ): Promise<{ size: number; contentType: string } | undefined>;
  /** Copies an object out to another bucket of the account, inside S3. */
  copyOut(fromKey: string, to: { bucket: string; key: string }): Promise<void>;
  /**
   * Joins objects of this store, in order, into `toKey` inside S3 (CopyObject, or a multipart upload of
   * UploadPartCopy parts), never through this process. Every source but the last must hold at least
   * {@link minJoinPartBytes}, as S3 requires of a part.
   */
  concat(toKey: string, fromKeys: readonly string[], contentType: string): Promise<void>;
  /** A time-limited URL any HTTP client can GET the object from (for downloads too large to return inline). */
  presignGet(key: string, options: { expiresInSeconds: number; filename?: string }): Promise<string>;
}

/** S3's smallest part of a multipart upload (every part but the last), so the smallest chunk a join copies. */
export const minJoinPartBytes = 5 * 1024 * 1024;

/** A request of a batch input, with the format its line was written in. */
export type InputRequest = NeutralRequest & { format: InputFormat };

/** Bytes as a stream of chunks (an S3 body, a file stream, or an array of buffers). */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Reads JSONL batch inputs; the formats layer implements it, so core never parses a line itself. */
export interface InputCodec {
  /** The neutral requests of a batch input, streamed; a 400 naming the line for one in no known format. */
  requests(source: ByteSource): AsyncIterable<InputRequest>;
  /** The number of non-blank lines, each of which must be a JSON object; a 400 naming the line otherwise. */
  countObjectLines(source: ByteSource): Promise<number>;
  /** The text of each non-blank line, as written (no parsing). */
  lines(source: ByteSource): AsyncIterable<string>;
}

/** What a provider reports about an upstream batch. */
export interface UpstreamStatus {
  status: BatchStatus;
  counts: RequestCounts;
  /** The upstream's reason, for failed batches. */
  message?: string;
  /**
   * The upstream ended the job for want of queue room (OpenAI's `token_limit_exceeded`), not for anything in it:
   * the part goes back to the gateway's queue to run again later.
   */
  noRoom?: boolean;
  /**
   * The provider runs the batch itself (a small Bedrock batch, on demand) and has more to do right away: poll
   * again at once rather than after the backoff.
   */
  busy?: boolean;
}

/** The batch input as a provider's submit sees it. */
/** A conversion of whole input lines to an upstream's lines, run line by line (formats/line-conversions.ts). */
export type LineConversion = "bedrock-records";

/** Converted lines: their bytes (each line ending in `\n`) and how many. */
export interface ConvertedChunk {
  bytes: Buffer;
  lines: number;
}

/**
 * Runs a line conversion over an input: in process, or spread over worker threads (one per core the Lambda has),
 * the chunks coming back in input order either way.
 */
export interface LineConverter {
  convert(source: AsyncIterable<Uint8Array>, conversion: LineConversion): AsyncIterable<ConvertedChunk>;
}

export interface SubmitInput {
  /** The format the input lines are in (detected from the lines). */
  format: InputFormat;
  /** The input converted line by line, every line validated (a 400 names the first bad one). */
  convert(conversion: LineConversion): AsyncIterable<ConvertedChunk>;
  /** The neutral requests, streamed from the input (may be called more than once). */
  requests(): AsyncIterable<NeutralRequest>;
  /** The input bytes as uploaded, for providers that take them untouched. */
  raw(): Promise<Readable>;
}

/**
 * The port every upstream provider implements; the batch engine drives it from the state machine.
 * Listing every operation here makes a missing one a compile error in the adapter, not an empty stub.
 */
export interface ProviderAdapter {
  /** Converts and uploads or stages the input, creates the upstream batch, and says how to find it again. */
  submit(batch: BatchRecord, input: SubmitInput): Promise<UpstreamRef>;
  status(batch: BatchRecord): Promise<UpstreamStatus>;
  /** Asks the upstream to stop; safe to call more than once and after the batch ended. */
  cancel(batch: BatchRecord): Promise<void>;
  /** Streams the upstream results as neutral results whose `customId` is the upstream key of the request. */
  results(batch: BatchRecord): AsyncIterable<NeutralResult>;
  /**
   * How the upstream names a request: by the caller's `custom_id` as sent, or by the gateway's mapped key
   * (core/ids.ts `upstreamKey`), which the collector maps back — and only then.
   * @default "custom_id"
   */
  readonly requestKeys?: "custom_id" | "mapped";
  /**
   * What a job of `rows` requests (about `tokens` input tokens) holds of the provider's quota while it runs, or
   * undefined when it holds nothing counted (the gateway runs a small Bedrock job itself).
   */
  quota?(batch: BatchRecord, job: { rows: number; tokens: number }): QuotaClaim | undefined;
}

/** What a part holds of a provider's quota while it runs: an amount of a named scope that has a limit. */
export interface QuotaClaim {
  /** What is counted, e.g. `bedrock#jobs#{model}` (one scope is shared by every batch of the gateway). */
  scope: string;
  amount: number;
  limit: number;
}

/**
 * What the running parts of every batch hold of each provider quota (Bedrock's concurrent jobs, OpenAI's enqueued
 * tokens, …): a part runs only once its claim fits, so the gateway queues work rather than hitting the quota.
 */
export interface QuotaSlots {
  /**
   * Takes the claim if what is held stays within its limit; a claim larger than the limit alone is taken when
   * nothing else is held (it could never fit otherwise). False, and nothing taken, when there is no room.
   */
  acquire(claim: QuotaClaim): Promise<boolean>;
  /** Gives back what a part held. */
  release(scope: string, amount: number): Promise<void>;
}

/** The adapter of every provider (undefined for one this gateway has no key for). */
export type ProviderAdapters = { readonly [P in Provider]: ProviderAdapter | undefined };

/** Where a batch's results go, in the calling dialect's format. */
export interface ResultSink {
  write(result: NeutralResult): Promise<void>;
  /** Stores what was written; returns the ids of the files created (absent when a file would be empty). */
  close(): Promise<{ outputFileId?: string; errorFileId?: string }>;
}

/** Starts and signals batch executions (Step Functions in AWS, the local executor locally). */
export interface BatchRunner {
  start(batch: BatchRecord): Promise<void>;
  /** Whether the batch's current execution is still running (false when it ended or never started). */
  running(batch: BatchRecord): Promise<boolean>;
  /** Starts a new execution for a batch whose last one stopped without ending it (its tasks are idempotent). */
  resume(batch: BatchRecord): Promise<void>;
  /** Forwards a cancel request to the upstream now rather than at the next poll. */
  cancel(batch: BatchRecord): Promise<void>;
}

/** Each dialect's result sink: total, so a dialect without one does not compile. */
export type ResultSinks = { readonly [D in Dialect]: (batch: BatchRecord) => ResultSink };

/**
 * The smallest string after every string that starts with `prefix`, in code point order (which is UTF-8 byte order,
 * the namespace's): the prefix with its last code point raised by one (a trailing U+10FFFF is dropped first, and the
 * surrogate range skipped). Undefined when nothing follows (an empty prefix, or one of U+10FFFF only). No sentinel
 * character: a key may hold any of them.
 */
export const successorOf = (prefix: string): string | undefined => {
  const points = [...prefix].map((c) => c.codePointAt(0)!);
  while (points.length > 0 && points.at(-1) === 0x10ffff) points.pop();
  if (points.length === 0) return undefined;
  const last = points.pop()! + 1;
  points.push(last === 0xd800 ? 0xe000 : last);
  return String.fromCodePoint(...points);
};

/** The console's files (the page, its script and style, the charting library), by the name the page asks for. */
export interface ConsoleFiles {
  /** The file, or undefined for a name the console does not have. */
  read(name: string): Promise<{ body: Uint8Array; contentType: string } | undefined>;
}
