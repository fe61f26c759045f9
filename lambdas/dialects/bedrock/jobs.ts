import * as z from "zod";
import { tagsAmong } from "../../core/allocation";
import { cancelBatch, createBatch, findBatch, getBatch, listBatches } from "../../core/batches";
import { chatEndpoint } from "../../core/chat";
import type { Deployment, GatewayDeps } from "../../core/deps";
import { embeddingsEndpoint } from "../../core/embeddings";
import { isEmbeddingModel } from "../../core/endpoints";
import { BadRequestError, NotFoundError, PermissionDeniedError } from "../../core/errors";
import { findFile, importObject } from "../../core/files";
import { derivedId, idFromAnyRendering, isId } from "../../core/ids";
import { placeHolding, placesShown } from "../../core/job-places";
import { type BatchRecord, isTerminal, lastStatusTime } from "../../core/model";
import { findObject, listObjects } from "../../core/namespace";
import { askedAttempts, progressSentence, retryField } from "../../core/parts";
import { parseWith } from "../../core/validation";
import { type HttpRequest, jsonBody } from "../../http/request";
import { type HttpResponse, json } from "../../http/response";
import { awsProvider, awsTenant, callerRegion } from "./auth";
import { type BedrockJobSpec, bedrockJobStatus, jobArnOf, jobIdOf, jobSpecOf, parseS3Uri } from "./jobs-model";

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

const createBody = z.object({
  jobName: z
    .string()
    .regex(
      /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/,
      "jobName must match [a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+-.]){0,63}",
    ),
  roleArn: z.string().optional(),
  clientRequestToken: z.string().min(1).max(256).optional(),
  modelId: z.string().min(1, "modelId is required"),
  inputDataConfig: z.object({
    s3InputDataConfig: z.object({
      s3Uri: z.string(),
      s3InputFormat: z.literal("JSONL").optional(),
      s3BucketOwner: z.string().optional(),
    }),
  }),
  outputDataConfig: z.object({
    s3OutputDataConfig: z.object({
      s3Uri: z.string(),
      s3EncryptionKeyId: z.string().optional(),
      s3BucketOwner: z.string().optional(),
    }),
  }),
  timeoutDurationInHours: z.number().int().min(24).max(168).optional(),
  tags: z
    .array(z.object({ key: z.string(), value: z.string() }))
    .max(200)
    .optional(),
  modelInvocationType: z.enum(["InvokeModel", "Converse"]).optional(),
  vpcConfig: z.unknown().optional(),
});

const listQuery = z.object({
  maxResults: z.coerce.number().int().min(1).max(1000).default(1000),
  nextToken: z.string().optional(),
  statusEquals: z
    .enum([
      "Submitted",
      "InProgress",
      "Completed",
      "Failed",
      "Stopping",
      "Stopped",
      "PartiallyCompleted",
      "Expired",
      "Validating",
      "Scheduled",
    ])
    .optional(),
  nameContains: z.string().optional(),
  submitTimeAfter: z.iso.datetime({ offset: true }).optional(),
  submitTimeBefore: z.iso.datetime({ offset: true }).optional(),
  sortBy: z.literal("CreationTime").optional(),
  sortOrder: z.enum(["Ascending", "Descending"]).default("Descending"),
});

/**
 * Refuses a place in one of the account's own buckets that this key was not granted, naming what it may use and how
 * the owner grants more (the stack's `jobBuckets` is only the ceiling of the grants).
 */
const requireJobPlace = async (deps: GatewayDeps, tenant: string, uri: string, use: "read" | "write") => {
  const { bucket, key } = parseS3Uri(uri);
  const places = await deps.jobPlaces.of(tenant);
  if (placeHolding(places, bucket, key)) return;
  const granted =
    places.length > 0
      ? `this key's jobs may ${use} only under ${placesShown(places)}`
      : "this key's jobs may use none of the account's buckets";
  throw new PermissionDeniedError(
    `Access denied to ${uri}: ${granted}. The gateway's owner grants places to a key with ` +
      "`npm run keys -- buckets --name NAME --allow bucket/prefix/`.",
    { param: "s3Uri" },
  );
};

/**
 * The input object of a job: a key of the caller's namespace, a file id used as a routing identifier
 * (`s3://openai-files/{etag}` in the seeds), or a prefix holding exactly one `.jsonl` object.
 */
const resolveInput = async (
  deps: GatewayDeps,
  tenant: string,
  uri: string,
): Promise<{ fileId: string; fileName: string }> => {
  const { bucket, key } = parseS3Uri(uri);
  if (deps.config.jobBuckets.some((place) => place.bucket === bucket)) {
    // One of the account's own buckets: the object is read from it (copied inside S3), never uploaded again.
    await requireJobPlace(deps, tenant, uri, "read");
    const file = await importObject(deps, { tenant, dialect: "bedrock", provider: "bedrock", bucket, key });
    if (!file) throw new BadRequestError(`No input object at ${uri}.`, { param: "s3Uri" });
    return { fileId: file.id, fileName: file.filename };
  }
  if (key !== "" && !key.endsWith("/")) {
    const entry = await findObject(deps, tenant, bucket, key);
    if (entry) return { fileId: entry.fileId, fileName: key.slice(key.lastIndexOf("/") + 1) };
    const id = idFromAnyRendering(key);
    const file = id ? await findFile(deps, tenant, id) : undefined;
    if (file) return { fileId: file.id, fileName: file.filename };
  }
  const under = (await listObjects(deps, tenant, bucket, { prefix: key, limit: 1000 })).entries.filter((e) =>
    e.key.endsWith(".jsonl"),
  );
  if (under.length === 1)
    return { fileId: under[0]!.fileId, fileName: under[0]!.key.slice(under[0]!.key.lastIndexOf("/") + 1) };
  if (under.length > 1)
    throw new BadRequestError(`${uri} holds ${under.length} .jsonl objects; name one input file.`, { param: "s3Uri" });
  const places = await deps.jobPlaces.of(tenant);
  const own = places.length > 0 ? `, or name an object where this key's jobs may read: ${placesShown(places)}` : "";
  throw new BadRequestError(`No input object at ${uri}: upload it through the gateway's S3 API first${own}.`, {
    param: "s3Uri",
  });
};

/** A batch as Bedrock's GetModelInvocationJob response (also each ListModelInvocationJobs summary). */
export const renderJob = (batch: BatchRecord, deployment: Deployment) => {
  const job = jobSpecOf(batch);
  const ended = isTerminal(batch.status);
  return {
    jobArn: jobArnOf(batch, deployment.accountId),
    jobName: job?.name ?? `finops-${batch.id}`,
    modelId: batch.model ?? "",
    clientRequestToken: job?.clientRequestToken,
    roleArn: job?.roleArn ?? "",
    status: bedrockJobStatus(batch),
    // Bedrock's free-text field: why it failed, or how far a job of several parts has come.
    message: batch.failureReason ?? progressSentence(batch),
    submitTime: iso(batch.createdAt),
    lastModifiedTime: iso(lastStatusTime(batch)),
    endTime: ended ? iso(lastStatusTime(batch)) : undefined,
    jobExpirationTime: iso(batch.createdAt + (job?.timeoutHours ?? 24) * 3_600_000),
    inputDataConfig: { s3InputDataConfig: { s3InputFormat: "JSONL", s3Uri: job?.inputUri ?? "" } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: job?.outputUri ?? "" } },
    timeoutDurationInHours: job?.timeoutHours ?? 24,
    modelInvocationType: job?.invocationType,
    totalRecordCount: batch.requestCounts.total,
    processedRecordCount: batch.requestCounts.completed + batch.requestCounts.failed,
    successRecordCount: batch.requestCounts.completed,
    errorRecordCount: batch.requestCounts.failed,
  };
};

/** The model invocation job routes of the Bedrock control plane at `{GW}/bedrock`. */
export const bedrockJobRoutes = (deps: GatewayDeps) => ({
  /**
   * CreateModelInvocationJob. `roleArn` is accepted and ignored: jobs run under the stack's own Bedrock role.
   * `clientRequestToken` makes create idempotent: the same token answers the same job.
   */
  async create(request: HttpRequest): Promise<HttpResponse> {
    const tenant = awsTenant(request);
    const body = parseWith(createBody, jsonBody(request), "body");
    const id = body.clientRequestToken ? derivedId(tenant, `bedrock-token\0${body.clientRequestToken}`) : undefined;
    const existing = id ? await findBatch(deps, tenant, id) : undefined;
    if (existing) return json(200, { jobArn: jobArnOf(existing, deps.deployment.accountId) });
    const inputUri = body.inputDataConfig.s3InputDataConfig.s3Uri;
    const outputUri = body.outputDataConfig.s3OutputDataConfig.s3Uri;
    const output = parseS3Uri(outputUri);
    if (deps.config.jobBuckets.some((place) => place.bucket === output.bucket))
      await requireJobPlace(deps, tenant, `s3://${output.bucket}/${output.key.replace(/\/?$/, "/")}`, "write");
    const input = await resolveInput(deps, tenant, inputUri);
    // A job on an embedding model is an embeddings batch; a tag may name an OpenAI endpoint for the records.
    const endpoint =
      body.tags?.find((tag) => tag.key === "endpoint")?.value ??
      (isEmbeddingModel(body.modelId) ? embeddingsEndpoint : chatEndpoint);
    const batch = await createBatch(deps, {
      id,
      tenant,
      dialect: "bedrock",
      provider: awsProvider(request),
      endpoint,
      completionWindow: "24h",
      model: body.modelId,
      inputFile: { id: input.fileId, shown: inputUri },
      anyPurpose: true,
      metadata: Object.fromEntries((body.tags ?? []).map((tag) => [tag.key, tag.value])),
      maxAttempts: askedAttempts(body.tags?.find((tag) => tag.key === retryField.key)?.value),
      // The job's tags allocate its cost, but those that tell the gateway something (the endpoint, a file id).
      tags: tagsAmong(Object.fromEntries((body.tags ?? []).map((tag) => [tag.key, tag.value])), "tags", [
        "endpoint",
        "file_id",
      ]),
      ...(body.modelInvocationType && {
        recordShape: body.modelInvocationType === "InvokeModel" ? ("invoke" as const) : ("converse" as const),
      }),
      dialectFields: {
        name: body.jobName,
        roleArn: body.roleArn,
        clientRequestToken: body.clientRequestToken,
        inputUri,
        outputUri,
        inputFileName: input.fileName,
        region: callerRegion(request, deps.deployment.region),
        timeoutHours: body.timeoutDurationInHours ?? 24,
        invocationType: body.modelInvocationType,
        tags: body.tags,
      } satisfies BedrockJobSpec,
    });
    return json(200, { jobArn: jobArnOf(batch, deps.deployment.accountId) });
  },

  async get(request: HttpRequest): Promise<HttpResponse> {
    const shown = request.params.jobIdentifier ?? "";
    const batch = await jobOf(deps, awsTenant(request), shown);
    return json(200, renderJob(batch, deps.deployment));
  },

  /** ListModelInvocationJobs: newest first by default; filters by status, name and submit time; `nextToken` pages. */
  async list(request: HttpRequest): Promise<HttpResponse> {
    const tenant = awsTenant(request);
    const q = parseWith(listQuery, request.query, "query");
    const after = q.submitTimeAfter ? Date.parse(q.submitTimeAfter) : -Infinity;
    const before = q.submitTimeBefore ? Date.parse(q.submitTimeBefore) : Infinity;
    let cursor = q.nextToken;
    if (cursor !== undefined && !isId(cursor)) throw new BadRequestError("Invalid nextToken.", { param: "nextToken" });
    const summaries: ReturnType<typeof renderJob>[] = [];
    let more = true;
    while (summaries.length <= q.maxResults && more) {
      const page = await listBatches(deps, tenant, {
        limit: 100,
        order: q.sortOrder === "Ascending" ? "asc" : "desc",
        after: cursor,
        cursorName: "nextToken",
      });
      for (const batch of page.items) {
        cursor = batch.id;
        const spec = jobSpecOf(batch);
        if (!spec) continue;
        if (batch.createdAt <= after || batch.createdAt >= before) continue;
        if (q.nameContains && !spec.name.includes(q.nameContains)) continue;
        const summary = renderJob(batch, deps.deployment);
        if (q.statusEquals && summary.status !== q.statusEquals) continue;
        summaries.push(summary);
        if (summaries.length > q.maxResults) break;
      }
      more = page.hasMore;
    }
    const data = summaries.slice(0, q.maxResults);
    const nextToken = summaries.length > q.maxResults ? jobIdOf(data.at(-1)!.jobArn) : undefined;
    return json(200, { invocationJobSummaries: data, ...(nextToken && { nextToken }) });
  },

  async stop(request: HttpRequest): Promise<HttpResponse> {
    const tenant = awsTenant(request);
    const batch = await jobOf(deps, tenant, request.params.jobIdentifier ?? "");
    if (isTerminal(batch.status))
      throw new BadRequestError(`The job has already ended (${bedrockJobStatus(batch)}) and cannot be stopped.`);
    await cancelBatch(deps, tenant, batch.id, batch.id);
    return json(200, {});
  },
});

/** The tenant's job for an identifier (ARN or id), or ResourceNotFoundException. */
const jobOf = async (deps: GatewayDeps, tenant: string, identifier: string): Promise<BatchRecord> => {
  const id = jobIdOf(identifier);
  const notFound = new NotFoundError(`Could not find the model invocation job ${identifier}.`);
  let batch: BatchRecord;
  try {
    batch = await getBatch(deps, tenant, isId(id) ? id : undefined, identifier);
  } catch (error) {
    if (error instanceof NotFoundError) throw notFound;
    throw error;
  }
  // An ARN names its job's account and region too: another account's or region's is another job.
  if (identifier.startsWith("arn:") && identifier !== jobArnOf(batch, deps.deployment.accountId)) throw notFound;
  return batch;
};
