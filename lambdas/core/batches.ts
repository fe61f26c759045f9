import type { TagStore, Tags } from "./allocation";
import {
  type BudgetDeps,
  estimatedBodyUsage,
  estimatedCost,
  estimatedEmbeddingUsage,
  estimatedUsage,
  microUsd,
  monthOf,
  reserveBudget,
  settleBudget,
} from "./budgets";
import { checkedMetadata } from "./caller-text";
import { refusalOn } from "./carriage";
import { type ChatRequest, carriedSummary, invokeFamilies, type Usage } from "./chat";
import type { SecretSealer } from "./credentials";
import { type EmbeddingRequest, embeddingRefusalOn, embeddingsEndpoint, geminiEmbedding } from "./embeddings";
import {
  embeddingModelRefusal,
  endpointRefusal,
  maxEmbeddingInputs,
  passesThrough,
  responsesEndpoint,
} from "./endpoints";
import { BadRequestError, Field, InternalError, NotFoundError } from "./errors";
import type { FileDeps } from "./files";
import { createFile, deleteFile, getFile, readInputRequests } from "./files";
import { newId } from "./ids";
import type { Limiter } from "./limits";
import {
  type BatchCost,
  type BatchRecord,
  type BatchStatus,
  type Dialect,
  isTerminal,
  type ListQuery,
  type Page,
  type Provider,
} from "./model";
import { convertedRoom, maxRowAttempts, partsNeeded } from "./part-settings";
import type { BatchRunner, InputRequest } from "./ports";

/** What the batch operations need beyond the file operations. */
export interface BatchDeps extends FileDeps, BudgetDeps {
  runner: BatchRunner;
  /** The providers this gateway can run batches on. */
  providers: readonly Provider[];
  /** Counts each tenant's batches in progress. @default no limit */
  limiter?: Limiter;
  /** Seals callers' own provider keys in pass-through mode. */
  sealer?: SecretSealer;
  /** Each credential's cost allocation tags. @default none */
  tags?: TagStore;
}

/** A new batch, already parsed from the dialect's request. */
export interface NewBatch {
  tenant: string;
  dialect: Dialect;
  provider: Provider;
  endpoint: string;
  completionWindow: string;
  metadata?: Record<string, string>;
  /** The model for the whole batch, when the caller names one outside the lines. */
  model?: string;
  /** The caller's input file (gateway id and the id as the caller wrote it). */
  inputFile?: { id: string | undefined; shown: string };
  /** Requests given inline instead of a file, each one JSONL line's object. */
  inlineRequests?: Record<string, unknown>[];
  /** What the caller's SDK calls the inline list (`requests`): errors name `requests.0`, not `Line 1`. */
  inlineField?: string;
  /** A caller-derived id (e.g. from an idempotency token); a new random one when absent. */
  id?: string;
  /** Take an input file of any purpose (S3 objects have none); its lines are checked all the same. */
  anyPurpose?: boolean;
  /** Pass-through mode: the caller's own provider key, kept sealed with the batch. */
  providerKey?: string;
  /** What the dialect keeps with the batch to show it back later (stored untouched). */
  dialectFields?: Record<string, unknown>;
  /** The shape every record must have, where the caller named one (Bedrock's `modelInvocationType`). */
  recordShape?: "invoke" | "converse";
  /** How long the batch's output and error files live after they are written (OpenAI `output_expires_after`). */
  outputExpiresAfterSeconds?: number;
  /**
   * How many runs a row that failed for a transient reason gets in all (`finops_retry`: OpenAI metadata, Bedrock
   * tags, the `x-finops-retry` header); the gateway's default when absent.
   */
  maxAttempts?: number;
  /** The batch's own cost allocation tags (checked by the dialect that read them). */
  tags?: Tags;
}

/** Providers whose batches run a single model (Anthropic allows a model per request). */
const singleModelProviders: ReadonlySet<Provider> = new Set(["openai", "gemini", "bedrock"]);

/**
 * Reads every request of the input once before anything is created: each line must be a known format, a chat
 * request for the batch's endpoint, with a unique custom_id, and one model where the provider needs one.
 */
const validateInput = async (deps: FileDeps, blobKey: string, input: NewBatch) => {
  try {
    return await validateLines(deps, blobKey, input);
  } catch (error) {
    // Inline requests are named as the caller's SDK names them, not as lines of the file the gateway made of them.
    const inline = input.inlineRequests && input.inlineField;
    if (!(error instanceof BadRequestError) || !inline) throw error;
    const renamed = error.message.replace(/^Line (\d+)/, (_, n: string) => `${inline}.${Number(n) - 1}`);
    if (renamed === error.message) throw error;
    throw new BadRequestError(renamed, { param: inline, cause: error });
  }
};

/**
 * A field the neutral request does not carry reaches the provider only where the line goes as written: a line on
 * the provider of its own format (OpenAI lines on OpenAI, Anthropic params on Anthropic, …), whose answers come back
 * as that provider gave them. Anywhere else the batch is refused naming the line, the field and the provider, before
 * anything is created upstream — never run without it.
 */
const refuseUncarried = (request: InputRequest, provider: Provider, at: string): void => {
  const [field] = request.uncarried ?? [];
  if (field === undefined || asWritten(request, provider)) return;
  const elsewhere = ` Remove it, or run the batch on ${request.format}, where ${request.format} lines go as written.`;
  throw new BadRequestError(
    `${at}: '${field}' cannot be carried to ${provider}: ${carriedSummary}, and nothing else is sent without ` +
      `being asked for.${elsewhere}`,
    { param: Field.input },
  );
};

/**
 * A line goes to the provider of its own format as written (each input format is named after its provider), but for
 * a model family's InvokeModel body, which is converted to the Converse records the upstream job reads.
 */
const asWritten = (request: InputRequest, provider: Provider): boolean =>
  request.format === provider && request.shape === undefined;

/**
 * Records of one job are all of one shape — InvokeModel bodies or Converse records, as `modelInvocationType` says
 * when given — since the job's outputs are written in that shape; a Claude body runs on Bedrock on Claude only.
 */
const checkShape = (request: InputRequest, input: NewBatch, first: InputRequest["shape"] | null, at: string) => {
  const invoke = request.shape !== undefined;
  const wanted = input.recordShape ?? (first === null ? undefined : first === undefined ? "converse" : "invoke");
  if (wanted === "invoke" && !invoke)
    throw new BadRequestError(
      `${at}: a Converse record in a job of InvokeModel records${input.recordShape ? " (modelInvocationType InvokeModel)" : ""}: ` +
        "write each record as the model's own body ({anthropic_version, max_tokens, messages, …} for Claude), or " +
        "every record in Converse's shape with modelInvocationType Converse.",
      { param: Field.input },
    );
  if (wanted === "converse" && invoke)
    throw new BadRequestError(
      `${at}: a model's own InvokeModel body in a job of Converse records${input.recordShape ? " (modelInvocationType Converse)" : ""}: ` +
        "write each record in one shape, and set modelInvocationType to match it (or leave it out).",
      { param: Field.input },
    );
  const model = request.request.model ?? input.model ?? "";
  const family = request.shape && invokeFamilies[request.shape];
  if (family && input.provider === "bedrock" && !family.models.test(model))
    throw new BadRequestError(
      `${at}: a ${family.name} InvokeModel body for ${model}: Bedrock runs a model family's own body on that ` +
        `family only. Run the job on a ${family.name} model, or write the records in Converse's shape.`,
      { param: Field.input },
    );
};

/** A feature of the request the provider has no form for is refused by name (`carriage.ts` lists each). */
const refuseUnsupported = (request: InputRequest, provider: Provider, model: string, at: string): void => {
  if (asWritten(request, provider)) return;
  const refusal = refusalOn(request.request, provider, model);
  if (!refusal) return;
  throw new BadRequestError(`${at}: ${refusal.feature} cannot be carried to ${provider}: ${refusal.reason}.`, {
    param: Field.input,
  });
};

const validateLines = async (deps: FileDeps, blobKey: string, input: NewBatch) => {
  const ids = new Set<string>();
  /** The first request's shape (null before it is read). */
  let firstShape: InputRequest["shape"] | null = null;
  const estimate: Usage = { inputTokens: 0, outputTokens: 0 };
  let model = input.model;
  let modelLine: number | undefined;
  /** Every model the batch names, each checked against what the provider serves. */
  const models = new Set<string>(input.model === undefined ? [] : [input.model]);
  let embeddingInputs = 0;
  let embeddingBytes = 0;
  for await (const request of readInputRequests(deps, blobKey)) {
    const at = `Line ${request.lineNumber}`;
    // A bare Titan `{inputText}` record reads as either; the job's model said which (an embedding model: embeddings).
    const either = input.endpoint === embeddingsEndpoint && request.embedding !== undefined;
    if (request.endpoint !== input.endpoint && !either) {
      throw new BadRequestError(
        `${at}: the request targets ${request.endpoint} but the batch's endpoint is ${input.endpoint}.`,
        { param: Field.input },
      );
    }
    if (ids.has(request.customId)) {
      throw new BadRequestError(
        `${at}: duplicate custom_id ${JSON.stringify(request.customId)}; each request needs its own.`,
        { param: Field.input },
      );
    }
    ids.add(request.customId);
    let guess: Usage;
    // Lines OpenAI gets as written: another endpoint's, and Responses lines on OpenAI (OpenAI checks their bodies).
    const literal =
      (passesThrough(input.endpoint) && input.provider === "openai" && request.format === "openai") ||
      (input.endpoint === responsesEndpoint && asWritten(request, input.provider));
    if (input.endpoint === embeddingsEndpoint && !literal) {
      const embedding = convertedEmbedding(request, input, at);
      embeddingInputs += embedding.texts?.length ?? 0;
      embeddingBytes += (embedding.texts ?? []).reduce((sum, text) => sum + Buffer.byteLength(text) + 64, 0);
      if (input.provider === "gemini" && embeddingBytes > geminiEmbedding.maxInlineBytes)
        throw new BadRequestError(
          `${at}: the batch's texts pass ${geminiEmbedding.maxInlineBytes / 1024 / 1024} MiB, the most Gemini takes ` +
            "in one embeddings batch (inline requests, under 20 MB). Split the lines into smaller batches.",
          { param: Field.input },
        );
      if (embeddingInputs > maxEmbeddingInputs)
        throw new BadRequestError(
          `${at}: the batch holds more than ${maxEmbeddingInputs} embedding inputs, the most one batch takes. ` +
            "Split the lines into batches of fewer inputs.",
          { param: Field.input },
        );
      guess = estimatedEmbeddingUsage(embedding.texts ?? []);
    } else if (literal) {
      const body = asPassedThrough(request, input.endpoint, at);
      embeddingInputs += input.endpoint === "/v1/embeddings" ? embeddingInputsOf(body) : 0;
      if (embeddingInputs > maxEmbeddingInputs)
        throw new BadRequestError(
          `${at}: the batch holds more than ${maxEmbeddingInputs} embedding inputs, OpenAI's limit for one ` +
            "/v1/embeddings batch. Split the lines into batches of fewer inputs.",
          { param: Field.input },
        );
      guess = estimatedBodyUsage(input.endpoint, body);
    } else {
      refuseUncarried(request, input.provider, at);
      refuseUnsupported(request, input.provider, request.request.model ?? input.model ?? "", at);
      checkShape(request, input, firstShape, at);
      if (firstShape === null) firstShape = request.shape;
      checkChatRequest(request.request, at);
      guess = estimatedUsage(request.request);
    }
    estimate.inputTokens += guess.inputTokens;
    estimate.outputTokens += guess.outputTokens;
    if (ids.size > deps.config.parts.maxRequests)
      throw new BadRequestError(
        `${at}: the input holds more than ${deps.config.parts.maxRequests} requests, the most one batch takes on ` +
          "this gateway (MAX_BATCH_REQUESTS). Split the requests into several batches.",
        { param: Field.input },
      );
    const lineModel = request.request.model;
    if (lineModel === undefined) continue;
    models.add(lineModel);
    if (model === undefined) {
      model = lineModel;
      modelLine = request.lineNumber;
    } else if (lineModel !== model && singleModelProviders.has(input.provider)) {
      const first = modelLine ? `line ${modelLine}` : "the batch's 'model'";
      throw new BadRequestError(
        `${at}: model ${JSON.stringify(lineModel)} differs from ${JSON.stringify(model)} (${first}); ` +
          `a ${input.provider} batch runs one model.`,
        { param: "model" },
      );
    }
  }
  if (ids.size === 0) throw new BadRequestError("The batch has no requests.", { param: Field.input });
  if (model === undefined)
    throw new BadRequestError("No model: name it in each request's body or as the batch's 'model'.", {
      param: "model",
    });
  return { total: ids.size, model, models, estimate };
};

/**
 * A line of an endpoint the gateway passes through: an OpenAI batch line, whose body goes to OpenAI as written.
 * OpenAI checks the body itself, and answers a bad one in the line's result, as it does for its own callers.
 */
const asPassedThrough = (request: InputRequest, endpoint: string, at: string): Record<string, unknown> => {
  if (request.format !== "openai" || !request.native)
    throw new BadRequestError(
      `${at}: a ${endpoint} batch takes OpenAI batch lines ({custom_id, method, url, body}), sent to OpenAI as ` +
        `written; this line is in ${request.format}'s format.`,
      { param: Field.input },
    );
  return request.native;
};

/** An embeddings line that runs elsewhere than OpenAI (on Bedrock's Titan): what it carries, and nothing else. */
const convertedEmbedding = (request: InputRequest, input: NewBatch, at: string): EmbeddingRequest => {
  const refuse = (why: string) => {
    throw new BadRequestError(`${at}: ${why}.`, { param: Field.input });
  };
  const [field] = request.uncarried ?? [];
  if (field !== undefined && !asWritten(request, input.provider))
    refuse(
      `'${field}' cannot be carried to ${input.provider}: an embeddings request there holds the texts and the dimensions`,
    );
  if (!request.embedding) return refuse("not an embeddings request");
  const refused = embeddingRefusalOn(input.provider, request.embedding, request.request.model ?? input.model ?? "");
  if (refused) refuse(refused);
  return request.embedding;
};

/** How many inputs an embeddings body holds: a string or a token array is one, an array of them is each. */
const embeddingInputsOf = (body: Record<string, unknown>): number => {
  const input = body.input;
  if (!Array.isArray(input)) return 1;
  return input.length > 0 && input.every((item) => typeof item === "number") ? 1 : input.length;
};

/**
 * The rules every neutral request meets, whichever format it came in (each format's parser checks its own fields
 * too): a positive whole number of output tokens, a temperature in 0–2, a top_p in 0–1, at least one message.
 */
const checkChatRequest = (request: ChatRequest, at: string): void => {
  const refuse = (what: string) => {
    throw new BadRequestError(`${at}: ${what}.`, { param: Field.input });
  };
  if (request.maxTokens !== undefined && !(Number.isInteger(request.maxTokens) && request.maxTokens > 0))
    refuse(`the maximum output tokens must be a positive whole number, not ${request.maxTokens}`);
  if (request.temperature !== undefined && !(request.temperature >= 0 && request.temperature <= 2))
    refuse(`the temperature must be between 0 and 2, not ${request.temperature}`);
  if (request.topP !== undefined && !(request.topP >= 0 && request.topP <= 1))
    refuse(`top_p must be between 0 and 1, not ${request.topP}`);
  if (request.messages.length === 0) refuse("the request has no messages");
};

/**
 * A batch runs as parts within the provider's per-job limits (core/parts.ts); one that would need more parts than a
 * batch may have is refused before its lines are read, naming the limits and the way around them.
 */
const refuseTooManyParts = (deps: BatchDeps, input: NewBatch, lines: number, bytes: number, shown: string): void => {
  const { jobs, maxParts } = deps.config.parts;
  const limits = jobs[input.provider];
  const needed = Math.max(partsNeeded(lines, limits), Math.ceil(bytes / (limits.bytes * convertedRoom)));
  if (needed <= maxParts) return;
  throw new BadRequestError(
    `File ${shown} (${lines} requests, ${Math.ceil(bytes / 1_000_000)} MB) would run as ${needed} ${input.provider} ` +
      `jobs of at most ${limits.requests} requests and ${Math.floor(limits.bytes / 1_000_000)} MB each; a batch ` +
      `runs as at most ${maxParts} (MAX_BATCH_PARTS). Split the requests into several batches.`,
    { param: Field.input },
  );
};

/** How many runs a row may have, as the caller asked (1 to {@link maxRowAttempts}) or the gateway's default. */
const attemptsOf = (deps: BatchDeps, input: NewBatch): number => {
  const asked = input.maxAttempts;
  if (asked === undefined) return deps.config.parts.defaultAttempts;
  if (!Number.isInteger(asked) || asked < 1 || asked > maxRowAttempts)
    throw new BadRequestError(
      `finops_retry must be a whole number of runs per row from 1 (no retry) to ${maxRowAttempts}, not ${asked}.`,
      { param: "finops_retry" },
    );
  return asked;
};

/** Validates the input, stores the batch as `validating`, and starts its execution. */
export const createBatch = async (deps: BatchDeps, input: NewBatch): Promise<BatchRecord> => {
  if (!deps.providers.includes(input.provider)) {
    throw new BadRequestError(
      `Provider '${input.provider}' cannot run batches on this gateway yet; use one of ${deps.providers.join(", ")}.`,
      { param: "provider" },
    );
  }
  const endpointRefused = endpointRefusal(input.endpoint, input.provider, input.dialect);
  if (endpointRefused) throw new BadRequestError(endpointRefused, { param: "endpoint" });
  // Before its lines are read: an embeddings model's records would be refused as a chat body of another family.
  const embeddingRefused = input.model && embeddingModelRefusal(input.endpoint, input.model);
  if (embeddingRefused) throw new BadRequestError(embeddingRefused, { param: "model" });
  let inputFileId: string;
  let inputBlobKey: string;
  /** The file the gateway made of inline requests: removed again when the create is refused (no stray file). */
  let inlineFileId: string | undefined;
  if (input.inputFile && input.inputFile.shown !== "") {
    const file = await getFile(deps, input.tenant, input.inputFile.id, input.inputFile.shown);
    if (file.purpose !== "batch" && !input.anyPurpose) {
      // A `.jsonl` kept as a plain file because a line was broken: say which line, not just the purpose.
      if (/\.jsonl$/i.test(file.filename) || file.contentType.includes("jsonl")) {
        await deps.codec.countObjectLines(await deps.blobs.stream(file.blobKey)).catch((error: unknown) => {
          if (!(error instanceof BadRequestError)) throw error;
          throw new BadRequestError(`File ${input.inputFile?.shown} is not a batch input: ${error.message}`, {
            param: Field.input,
            cause: error,
          });
        });
      }
      throw new BadRequestError(
        `File ${input.inputFile.shown} has purpose '${file.purpose}'; a batch input needs purpose 'batch'.`,
        { param: Field.input },
      );
    }
    refuseTooManyParts(deps, input, file.lineCount ?? 0, file.bytes, input.inputFile.shown);
    inputFileId = file.id;
    inputBlobKey = file.blobKey;
  } else if (input.inlineRequests && input.inlineRequests.length > 0) {
    const body = Buffer.from(`${input.inlineRequests.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const file = await createFile(deps, {
      tenant: input.tenant,
      dialect: input.dialect,
      provider: input.provider,
      filename: "inline_requests.jsonl",
      purpose: "batch",
      contentType: "application/jsonl",
      body,
    });
    inputFileId = file.id;
    inputBlobKey = file.blobKey;
    inlineFileId = file.id;
  } else {
    throw new BadRequestError("The batch has no input: name an input file or give its requests inline.", {
      param: Field.input,
    });
  }
  const refused = async (error: unknown): Promise<never> => {
    if (inlineFileId) await deleteFile(deps, input.tenant, inlineFileId, "").catch(() => undefined);
    throw error;
  };
  const batch = await admitBatch(deps, input, inputFileId, inputBlobKey).catch(refused);
  try {
    await deps.runner.start(batch);
  } catch (cause) {
    await deps.limiter?.batchEnded(input.tenant);
    await deps.repo.update(
      "batch",
      batch.id,
      {
        status: "failed",
        failureReason: "The batch engine could not be started.",
        statusTimes: { ...batch.statusTimes, failed: Date.now() },
      },
      { statusIn: ["validating"] },
    );
    await settleBudget(deps, batch);
    throw new InternalError(undefined, { cause });
  }
  return batch;
};

/** What a batch would cost, worked out before anything is created (`POST /finops/v1/estimate`). */
export interface BatchEstimate {
  requests: number;
  model: string;
  /** Input tokens at 4 characters a token over every message's text; output at each request's `max_tokens`. */
  usage: Usage;
  cost: BatchCost;
  /** The key's monthly budget, when it has one: the month's commitments and what would be left after this batch. */
  budget?: { month: string; limit: number; committed: number; leftAfter: number };
}

/**
 * Estimates a batch of an input file as a create would take it — every line checked, the model served — with the
 * usage the budget reservation assumes, priced at batch rates, and the key's budget after it. Nothing is created.
 */
export const estimateBatch = async (
  deps: BatchDeps,
  input: Pick<NewBatch, "tenant" | "dialect" | "provider" | "endpoint" | "model" | "inputFile">,
): Promise<BatchEstimate> => {
  // A file of any purpose (an S3 object has none): its lines are checked all the same.
  const file = await getFile(deps, input.tenant, input.inputFile?.id, input.inputFile?.shown ?? "");
  const batch = { ...input, completionWindow: "24h" };
  const { total, model, models, estimate } = await validateInput(deps, file.blobKey, batch);
  if (!passesThrough(input.endpoint)) await checkServed(deps, input.provider, models);
  const cost = await estimatedCost(deps, input.provider, model, estimate);
  const limit = await deps.budgets?.limitOf(input.tenant);
  if (limit === undefined || !deps.budgets) return { requests: total, model, usage: estimate, cost };
  const month = monthOf(deps.now?.() ?? Date.now());
  const committed = await deps.budgets.committed(input.tenant, month);
  const leftAfter = limit - committed - microUsd(cost.batch ?? 0);
  return { requests: total, model, usage: estimate, cost, budget: { month, limit, committed, leftAfter } };
};

/** The tenant's batch, or undefined. */
export const findBatch = (deps: FileDeps, tenant: string, id: string): Promise<BatchRecord | undefined> =>
  deps.repo.get("batch", tenant, id);

/** The tenant's batch, or a 404. */
export const getBatch = async (
  deps: FileDeps,
  tenant: string,
  id: string | undefined,
  shownId: string,
): Promise<BatchRecord> => {
  const batch = id ? await deps.repo.get("batch", tenant, id) : undefined;
  if (!batch) throw new NotFoundError(`No such Batch object: ${shownId}`, { param: "batch_id" });
  return batch;
};

/** A page of the tenant's batches; `after` must be one of the tenant's batches. */
export const listBatches = async (deps: FileDeps, tenant: string, query: ListQuery): Promise<Page<BatchRecord>> => {
  if (query.after !== undefined && !(await deps.repo.get("batch", tenant, query.after))) {
    throw new BadRequestError(`Invalid '${query.cursorName ?? "after"}': no such batch to page from.`, {
      param: query.cursorName ?? "after",
    });
  }
  return deps.repo.list("batch", tenant, query);
};

const cancellable: readonly BatchStatus[] = ["validating", "queued", "in_progress"];

/**
 * Asks for a batch to stop: it becomes `cancelling` at once and the engine forwards the request upstream;
 * it ends `cancelled` with the results that were ready. Cancelling twice is harmless; an ended batch is a 400.
 */
export const cancelBatch = async (
  deps: BatchDeps,
  tenant: string,
  id: string | undefined,
  shownId: string,
): Promise<BatchRecord> => {
  const batch = await getBatch(deps, tenant, id, shownId);
  if (batch.status === "cancelling" || batch.status === "cancelled") return batch;
  const updated = await deps.repo.update(
    "batch",
    batch.id,
    { status: "cancelling", cancelRequested: true, statusTimes: { ...batch.statusTimes, cancelling: Date.now() } },
    { statusIn: cancellable },
  );
  if (!updated) {
    const current = await getBatch(deps, tenant, id, shownId);
    if (current.status === "cancelling" || current.status === "cancelled") return current;
    throw new BadRequestError(`Cannot cancel a batch with status '${current.status}'.`, { param: "batch_id" });
  }
  await deps.runner.cancel(updated).catch(() => undefined); // the next poll forwards it again
  return updated;
};

/** Deletes an ended batch and the result files it produced; a batch still running is a 400. */
export const deleteBatch = async (
  deps: FileDeps,
  tenant: string,
  id: string | undefined,
  shownId: string,
): Promise<void> => {
  const batch = await getBatch(deps, tenant, id, shownId);
  if (!isTerminal(batch.status)) {
    throw new BadRequestError(
      `Batch ${shownId} is still processing; cancel it and wait until it has ended before deleting it.`,
      { param: "batch_id" },
    );
  }
  // Of racing deletes, the one that removed the batch is answered; the others find it gone, as a missing one.
  if (!(await deps.repo.delete("batch", tenant, batch.id)))
    throw new NotFoundError(`No such Batch object: ${shownId}`, { param: "batch_id" });
  for (const fileId of [batch.outputFileId, batch.errorFileId]) {
    const file = fileId ? await deps.repo.delete("file", tenant, fileId) : undefined;
    if (file) await deps.blobs.delete(file.blobKey);
  }
};

/**
 * Refuses a model the provider does not serve, as the price catalogue (and the owner's allow-list) knows it, with
 * the nearest ids it does serve or the provider that serves it: locally as after a deploy, at create rather than a
 * day later upstream.
 */
const checkServed = async (deps: BatchDeps, provider: Provider, models: Iterable<string>): Promise<void> => {
  if (!deps.prices?.served) return;
  for (const model of models) {
    const verdict = await deps.prices.served(provider, model);
    if (verdict.served) continue;
    const hint = verdict.servedBy
      ? ` ${verdict.servedBy} serves it: run the batch with provider ${verdict.servedBy}.`
      : verdict.nearest.length > 0
        ? ` Did you mean ${verdict.nearest.join(" or ")}?`
        : "";
    throw new BadRequestError(
      `Model ${JSON.stringify(model)} is not one ${provider} serves (genai-prices catalogue).${hint} The gateway's ` +
        "owner can allow ids the catalogue lacks (fine-tuned or newer models) with MODEL_ALLOWLIST.",
      { param: "model" },
    );
  }
};

/** Validates the input, reserves the budget and the key's slot, and records the batch; nothing of it on refusal. */
const admitBatch = async (
  deps: BatchDeps,
  input: NewBatch,
  inputFileId: string,
  inputBlobKey: string,
): Promise<BatchRecord> => {
  checkedMetadata(input.metadata);
  const maxAttempts = attemptsOf(deps, input);
  const tags = { ...(await deps.tags?.of(input.tenant)), ...input.tags };
  const { total, model, models, estimate } = await validateInput(deps, inputBlobKey, input);
  for (const named of models) {
    const refused = embeddingModelRefusal(input.endpoint, named);
    if (refused) throw new BadRequestError(refused, { param: "model" });
  }
  // A passed-through endpoint's models (embeddings, moderations, images) are OpenAI's to check, line by line.
  if (!passesThrough(input.endpoint)) await checkServed(deps, input.provider, models);
  const id = input.id ?? newId();
  // Within the key's monthly budget, or refused before anything is created (core/budgets.ts).
  const budget = await reserveBudget(deps, {
    tenant: input.tenant,
    batchId: id,
    provider: input.provider,
    model,
    estimate,
    requests: total,
  });
  const now = deps.now?.() ?? Date.now();
  const batch: BatchRecord = {
    id,
    kind: "batch",
    tenant: input.tenant,
    dialect: input.dialect,
    provider: input.provider,
    createdAt: now,
    expiresAt: now + deps.config.fileTtlDays * 86_400_000,
    status: "validating",
    endpoint: input.endpoint,
    completionWindow: input.completionWindow,
    model,
    inputFileId,
    inputBlobKey,
    requestCounts: { total, completed: 0, failed: 0 },
    estimatedUsage: { inputTokens: estimate.inputTokens, outputTokens: estimate.outputTokens },
    metadata: input.metadata,
    ...(maxAttempts > 1 && { maxAttempts }),
    ...(Object.keys(tags).length > 0 && { tags }),
    statusTimes: { validating: now },
    dialectFields: input.dialectFields,
    ...(input.outputExpiresAfterSeconds !== undefined && {
      outputExpiresAfterSeconds: input.outputExpiresAfterSeconds,
    }),
    sealedProviderKey: input.providerKey && deps.sealer ? await deps.sealer.seal(input.providerKey) : undefined,
    budget,
    watch: "batch",
  };
  try {
    await deps.limiter?.batchStarted(input.tenant);
  } catch (error) {
    await settleBudget(deps, batch); // nothing ran: the reservation is released
    throw error;
  }
  const created = await deps.repo.create(batch).catch(async (error: unknown) => {
    // Not written: neither slot nor reservation may outlive it (a create that dies here instead leaves the
    // reservation to the reconciler, which releases holds whose batch never appeared).
    await deps.limiter?.batchEnded(input.tenant);
    await settleBudget(deps, batch);
    throw error;
  });
  if (!created) {
    await deps.limiter?.batchEnded(input.tenant);
    // An idempotent create (the same client token) finds its batch here: its reservation stands.
    throw new InternalError("Batch id collision.");
  }
  return batch;
};
