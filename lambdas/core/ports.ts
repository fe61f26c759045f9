import type { Readable } from "node:stream";
import type {
  AnyRecord,
  BatchRecord,
  BatchStatus,
  ListQuery,
  NeutralResult,
  ObjectKind,
  Page,
  RequestCounts,
} from "./model";

/** The only code that reads and writes object metadata. Every call is scoped to a tenant. */
export interface ObjectRepository {
  /** Stores a new object; fails if the id exists. */
  create(record: AnyRecord): Promise<void>;
  /** The tenant's object, or undefined (also for another tenant's id and for expired objects). */
  get<K extends ObjectKind>(kind: K, tenant: string, id: string): Promise<Extract<AnyRecord, { kind: K }> | undefined>;
  /** A page of the tenant's objects of one kind. */
  list<K extends ObjectKind>(kind: K, tenant: string, query: ListQuery): Promise<Page<Extract<AnyRecord, { kind: K }>>>;
  /**
   * Sets fields of an object, optionally only while its status is one of `statusIn` (the guard against lost
   * updates and backwards transitions). Returns the updated object, or undefined when the guard failed.
   */
  update<K extends ObjectKind>(
    kind: K,
    id: string,
    changes: Partial<Extract<AnyRecord, { kind: K }>>,
    guard?: { statusIn?: readonly string[] },
  ): Promise<Extract<AnyRecord, { kind: K }> | undefined>;
  /** Removes the tenant's object and returns what it was; undefined when there was none. */
  delete<K extends ObjectKind>(kind: K, tenant: string, id: string): Promise<Extract<AnyRecord, { kind: K }> | undefined>;
}

/** Where bytes live (uploads, staged upstream inputs, converted results). */
export interface BlobStore {
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** The object as a stream (for line-by-line conversion). */
  stream(key: string): Promise<Readable>;
  read(key: string): Promise<Uint8Array>;
  delete(key: string): Promise<void>;
  /** A time-limited URL any HTTP client can GET the object from (for downloads too large to return inline). */
  presignGet(key: string, options: { expiresInSeconds: number; filename?: string }): Promise<string>;
}

/** What a provider reports about an upstream batch. */
export interface UpstreamStatus {
  status: BatchStatus;
  counts: RequestCounts;
}

/**
 * The port every upstream provider implements (the batch engine drives it from the state machine).
 * Listing every operation here makes a missing one a compile error in the adapter, not an empty stub.
 */
export interface ProviderAdapter {
  readonly name: string;
  /** Converts and uploads/stages the batch input; returns the upstream id of the created batch. */
  submit(batch: BatchRecord): Promise<{ upstreamId: string }>;
  status(batch: BatchRecord): Promise<UpstreamStatus>;
  cancel(batch: BatchRecord): Promise<void>;
  /** Streams the upstream results, converted to neutral result lines, for the collector to render. */
  results(batch: BatchRecord): AsyncIterable<NeutralResult>;
}
