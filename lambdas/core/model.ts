/** The neutral model: what every dialect parses into and every provider works from. */
import type { ChatResponse, Usage } from "./chat";

export const Provider = {
  openai: "openai",
  anthropic: "anthropic",
  gemini: "gemini",
  bedrock: "bedrock",
} as const;
export type Provider = (typeof Provider)[keyof typeof Provider];
export const providers = Object.values(Provider);

export const Dialect = {
  openai: "openai",
  anthropic: "anthropic",
  genai: "genai",
  bedrock: "bedrock",
} as const;
export type Dialect = (typeof Dialect)[keyof typeof Dialect];

export const ObjectKind = { file: "file", batch: "batch", upload: "upload" } as const;
export type ObjectKind = (typeof ObjectKind)[keyof typeof ObjectKind];

/** Why a file exists; the OpenAI purposes, which the other dialects map onto. */
export const FilePurpose = {
  assistants: "assistants",
  batch: "batch",
  batchOutput: "batch_output",
  fineTune: "fine-tune",
  vision: "vision",
  userData: "user_data",
  evals: "evals",
} as const;
export type FilePurpose = (typeof FilePurpose)[keyof typeof FilePurpose];
/** Purposes a caller may upload with (the others are written by the gateway). */
export const uploadPurposes = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"] as const;

/** Fields every stored object has. Times are epoch milliseconds. */
export interface StoredObject {
  id: string;
  kind: ObjectKind;
  tenant: string;
  dialect: Dialect;
  provider: Provider;
  createdAt: number;
  /** When the object stops existing; reads after it answer 404 even before the TTL sweep. */
  expiresAt?: number;
}

/** A file: bytes in the blob store plus what the caller told us about them. */
export interface FileRecord extends StoredObject {
  kind: "file";
  filename: string;
  purpose: FilePurpose;
  bytes: number;
  contentType: string;
  sha256: string;
  blobKey: string;
  /** Lines counted at upload for batch files (non-blank JSONL lines). */
  lineCount?: number;
  /** Provider storage hints the caller sent (e.g. the seeds' `storage_config`); kept, not needed. */
  storageConfig?: Record<string, unknown>;
  /**
   * Set while the file's bytes are chunks of an upload that API Gateway stored straight into the bucket: the
   * first read joins them into `blobKey` and clears it (core/files.ts `settleFile`). `failure` says why they could
   * not be joined; `single` marks one body of a length not known before it arrived (an S3 PutObject).
   */
  staged?: { uploadId: string; failure?: string; single?: boolean };
}

/**
 * How a batch's cost was priced: at a batch rate the price list publishes, at the provider's documented batch
 * discount off its on-demand rate (`derived`), at on-demand rates (a batch the gateway ran on demand), or not at
 * all (`unpriced`: no price for the model — never a cost of 0).
 */
export type PricingBasis = "published" | "derived" | "on_demand" | "unpriced";

/** A batch's cost, settled once, when its results are collected. */
export interface BatchCost {
  currency: "USD";
  /** What the batch cost (null when unpriced). */
  batch: number | null;
  /** The same usage at on-demand rates. */
  onDemand: number | null;
  /** `onDemand - batch`. */
  saved: number | null;
  /** What the runs of rows after their first (retries) cost, within `batch`. */
  retries?: number;
  pricing: PricingBasis;
  /** Where the price came from, or why there is none. */
  source: string;
}

/** Neutral batch status; each provider maps its own onto it, each dialect renders it in its SDK's words. */
export const BatchStatus = {
  validating: "validating",
  queued: "queued",
  inProgress: "in_progress",
  finalizing: "finalizing",
  cancelling: "cancelling",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
  expired: "expired",
} as const;
export type BatchStatus = (typeof BatchStatus)[keyof typeof BatchStatus];
export const terminalBatchStatuses: readonly BatchStatus[] = ["completed", "failed", "cancelled", "expired"];
export const isTerminal = (status: BatchStatus): boolean => terminalBatchStatuses.includes(status);

/** How far along each status is: a batch only ever moves to a status of higher rank (no backwards transition). */
export const statusRank: Record<BatchStatus, number> = {
  validating: 0,
  queued: 1,
  in_progress: 2,
  finalizing: 3,
  cancelling: 3,
  completed: 4,
  failed: 4,
  cancelled: 4,
  expired: 4,
};

/** Per-batch request tally, kept current while the batch runs. */
export interface RequestCounts {
  total: number;
  completed: number;
  failed: number;
}

/** What the gateway knows of the upstream job; never shown to callers. */
export interface UpstreamRef {
  /** The upstream batch or job id (for Bedrock the job ARN). */
  id: string;
  /** The upstream input file id or staged input location, when there is one. */
  inputRef?: string;
  /** How the batch runs: the provider's batch API, or the gateway's own on-demand calls for small batches. */
  mode: "batch" | "on_demand";
}

/**
 * One upstream job of a batch: a run of its input lines within the provider's per-job limits, or the rows of an
 * earlier part that failed for a transient reason, run again (core/parts.ts). Parts wait in the gateway's queue
 * until the provider's quota has room, run, and end with their results kept, sorted by row, for the batch's merge.
 */
export interface BatchPart {
  /** Its number in the batch: the input's parts first (0, 1, …), retries after them. */
  n: number;
  /** The input part whose rows it runs (itself for an input part). */
  root: number;
  /** Which run of its rows this is: 1 for an input part, 2 and on for retries. */
  attempt: number;
  /** Requests in the part. */
  rows: number;
  /** An input part's rows: the first row's index, and its lines' bytes `[start, end)` of the batch's input. */
  firstRow: number;
  start: number;
  end: number;
  /** Input tokens of its lines, estimated from their size (for a provider's queued-token quota). */
  tokens: number;
  state: "waiting" | "running" | "ended";
  upstream?: UpstreamRef;
  /** The upstream status last seen, and its terminal status once it ended. */
  status?: BatchStatus;
  /** The upstream's reason for a failed end, or why the part is still waiting. */
  message?: string;
  /** Requests done so far (from the upstream while it runs; from the results once it ended). */
  completed: number;
  failed: number;
  /** Quota held while it runs (core/quotas.ts), released when it ends or goes back to the queue. */
  hold?: { scope: string; amount: number };
  /** Rows of this part run again by its retry part. */
  retried?: number;
  /** What it used and cost in USD, once it ended (null: unpriced). */
  usage?: Usage;
  cost?: { batch: number | null; onDemand: number | null };
  submittedAt?: number;
  endedAt?: number;
}

/** A batch: one upstream job (or the gateway's own run of a small one) and where its results go. */
export interface BatchRecord extends StoredObject {
  kind: "batch";
  status: BatchStatus;
  endpoint: string;
  completionWindow: string;
  model?: string;
  /** The caller's input file (absent for inline requests). */
  inputFileId?: string;
  /** Where the input lines are: the input file's blob, or the staged inline requests. */
  inputBlobKey: string;
  outputFileId?: string;
  errorFileId?: string;
  requestCounts: RequestCounts;
  metadata?: Record<string, string>;
  /** When each status was entered (epoch ms), for the dialects' `*_at` fields. */
  statusTimes: Partial<Record<BatchStatus, number>>;
  /**
   * The one upstream job a provider adapter works on: set only on the view of one part an adapter is given
   * (core/batch-engine.ts); a batch's jobs are its `parts`.
   */
  upstream?: UpstreamRef;
  /** Its upstream jobs, once planned (core/parts.ts). */
  parts?: BatchPart[];
  /** How many times a row that failed for a transient reason may run in all (1: never again). */
  maxAttempts?: number;
  /** Cost allocation tags: the credential's, with the batch's own over them (core/allocation.ts). */
  tags?: Record<string, string>;
  /** Pass-through mode: the caller's own provider key, sealed; the engine runs the batch with it. */
  sealedProviderKey?: string;
  /** Set by a cancel request; the batch engine forwards it upstream. */
  cancelRequested?: boolean;
  /** A reason the caller can read when the batch failed. */
  failureReason?: string;
  /** How the requests ended, once the batch has (Anthropic's counts need the breakdown of failures). */
  outcomeCounts?: Record<NeutralResult["outcome"], number>;
  /**
   * What the creating dialect keeps with the batch to show it back later (the AWS SDK's job name, URIs and
   * tags); core stores it untouched and never reads it.
   */
  dialectFields?: Record<string, unknown>;
  /** How long its output and error files live once written; the gateway's file lifetime when unset. */
  outputExpiresAfterSeconds?: number;
  /** Token totals of the requests that ran. */
  usage?: Usage;
  /**
   * What its requests were estimated to use at create (every message's text at 4 characters a token, output at each
   * request's `max_tokens`): what the FOCUS rows of a batch still running show, marked `estimate`.
   */
  estimatedUsage?: Usage;
  /** What the batch cost and saved, settled once with its results (core/pricing.ts). */
  cost?: BatchCost;
  /** What was reserved (micro-USD) against the tenant's monthly budget at create (core/budgets.ts). */
  budget?: { month: string; reserved: number };
  /**
   * Present while the gateway still owes the batch work: set at create, removed once the batch ended and its
   * end was published. The reconciler watches these batches (ObjectRepository.watched).
   */
  watch?: "batch";
  /** How many times a batch whose execution stopped or vanished was resumed (core/reconcile.ts). */
  resumes?: number;
}

/**
 * An upload in progress, sent in pieces: chunks at byte offsets (a resumable upload, whose unguessable id
 * authorises the chunks) or parts put together in the order the caller names at the end.
 */
export interface UploadRecord extends StoredObject {
  kind: "upload";
  displayName?: string;
  mimeType: string;
  /** Bytes announced at start. */
  size: number;
  /** What the file is for, when the caller said at start (parted uploads). */
  purpose?: FilePurpose;
  /** Set once the caller gave up on the upload; its parts expire with the staging prefix. */
  cancelled?: boolean;
  /** The file the upload became, once finalized. */
  fileId?: string;
  /** The named object the upload is for (an S3 multipart upload's bucket and key). */
  target?: { bucket: string; key: string };
}

export type AnyRecord = FileRecord | BatchRecord | UploadRecord;

/** When a batch last changed status (its end time once it has ended). */
export const lastStatusTime = (batch: BatchRecord): number =>
  Math.max(batch.createdAt, ...Object.values(batch.statusTimes).filter((t): t is number => t !== undefined));

/** One page of a tenant's objects, newest first unless asked otherwise. */
export interface Page<T> {
  items: T[];
  hasMore: boolean;
}

/** How a list is asked for: a cursor is the id of the last object the caller saw. */
export interface ListQuery {
  limit: number;
  order: "asc" | "desc";
  after?: string;
  /** What the caller's SDK calls the cursor (`after`, `before_id`, `pageToken`…), for the error naming it. */
  cursorName?: string;
  /** Only objects whose named attributes equal these values. */
  where?: Partial<Record<"purpose" | "provider" | "status" | "model", string>>;
}

/** One request's outcome as a provider reports it, before a dialect renders it. */
export interface NeutralResult {
  customId: string;
  outcome: "succeeded" | "errored" | "cancelled" | "expired";
  /** The answer, when the request succeeded. */
  response?: ChatResponse;
  error?: { code: string; message: string; statusCode?: number };
}
