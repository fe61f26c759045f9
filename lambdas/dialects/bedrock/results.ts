import type { ChatResponse, NeutralRequest } from "../../core/chat";
import { argumentsObject, uncachedInputTokens } from "../../core/chat";
import type { GatewayDeps } from "../../core/deps";
import { embeddingsEndpoint } from "../../core/embeddings";
import { exportFile, findFile, readInputRequests } from "../../core/files";
import { GeneratedFile } from "../../core/generated-files";
import { placeHolding } from "../../core/job-places";
import type { BatchRecord, NeutralResult } from "../../core/model";
import { linkObject } from "../../core/namespace";
import type { ResultSink } from "../../core/ports";
import { toConverseInput } from "../../formats/bedrock-records";
import { invokeModelOutput } from "../../formats/invoke-model";
import { jobSpecOf, parseS3Uri } from "./jobs-model";

/** Inputs up to this size have their records echoed as `modelInput` in the outputs, as Bedrock does. */
const echoLimitBytes = 32 * 1024 * 1024;

/**
 * An embeddings answer in its record's model's own response body: Cohere Embed's (every text's vector) for a record
 * of `texts`, Titan Text Embeddings' (its one vector and the text's tokens) otherwise.
 */
const embeddingOutput = (response: ChatResponse, modelInput: Record<string, unknown>) => {
  const body = response.native?.body as { data?: { embedding?: number[] | string }[] } | undefined;
  const vectors = (body?.data ?? []).map((item) => (Array.isArray(item.embedding) ? item.embedding : []));
  if (Array.isArray(modelInput.texts))
    return { embeddings: vectors, id: response.id, response_type: "embeddings_floats", texts: modelInput.texts };
  return { embedding: vectors[0] ?? [], inputTextTokenCount: response.usage.inputTokens };
};

/** A neutral response as a Converse `modelOutput`; one Bedrock answered is written as it answered. */
const converseOutput = (result: NeutralResult) => {
  const r = result.response!;
  if (r.native?.format === "bedrock") return r.native.body;
  const stopReason = {
    stop: "end_turn",
    length: "max_tokens",
    content_filter: "content_filtered",
    tool_calls: "tool_use",
  }[r.finishReason];
  return {
    output: {
      message: {
        role: "assistant",
        content: [
          ...(r.reasoning ? [{ reasoningContent: { reasoningText: { text: r.reasoning } } }] : []),
          ...(r.text !== "" || !r.toolCalls ? [{ text: r.text }] : []),
          ...(r.toolCalls ?? []).map((call) => ({
            toolUse: { toolUseId: call.id, name: call.name, input: argumentsObject(call.arguments) },
          })),
        ],
      },
    },
    stopReason,
    // Converse counts cache reads and writes beside its inputTokens, not within them.
    usage: {
      inputTokens: uncachedInputTokens(r.usage),
      outputTokens: r.usage.outputTokens,
      totalTokens: r.usage.inputTokens + r.usage.outputTokens,
      ...(r.usage.cachedInputTokens && { cacheReadInputTokens: r.usage.cachedInputTokens }),
      ...(r.usage.cacheWriteTokens && { cacheWriteInputTokens: r.usage.cacheWriteTokens }),
    },
  };
};

/**
 * Writes a job's outputs where Bedrock would put them, in the caller's namespace: `{output}/{jobId}/{input}.out`
 * (`{recordId, modelInput, modelOutput}` or `{recordId, modelInput, error}`) and `manifest.json.out`.
 */
export const bedrockResultSink =
  (deps: GatewayDeps) =>
  (batch: BatchRecord): ResultSink => {
    const job = jobSpecOf(batch);
    if (!job) throw new Error(`Batch ${batch.id} has no model invocation job spec`);
    const output = parseS3Uri(job.outputUri);
    const folder = `${output.key.replace(/\/?$/, "/").replace(/^\/$/, "")}${batch.id}/`;
    const records = new GeneratedFile(deps, batch, "bedrock-out", `${job.inputFileName}.out`);
    const manifestFile = new GeneratedFile(deps, batch, "bedrock-manifest", "manifest.json.out");
    const manifest = {
      totalRecordCount: batch.requestCounts.total,
      processedRecordCount: 0,
      successRecordCount: 0,
      errorRecordCount: 0,
      inputTokenCount: 0,
      outputTokenCount: 0,
    };
    let inputs: Promise<Map<string, unknown>> | undefined;
    const modelInputs = async (): Promise<Map<string, unknown>> => {
      const map = new Map<string, unknown>();
      const file = batch.inputFileId ? await findFile(deps, batch.tenant, batch.inputFileId) : undefined;
      if (!file || file.bytes > echoLimitBytes) return map;
      // Each record's modelInput as its caller wrote it (a line of another format, as the Converse record it became).
      for await (const request of readInputRequests(deps, batch.inputBlobKey))
        map.set(request.customId, request.format === "bedrock" ? request.native : toConverseInput(request.request));
      return map;
    };
    let shape: Promise<NeutralRequest["shape"]> | undefined;
    /** The job's record shape (core let only one in): outputs are written in it. */
    const recordShape = async (): Promise<NeutralRequest["shape"]> => {
      for await (const request of readInputRequests(deps, batch.inputBlobKey)) return request.shape;
      return undefined;
    };
    const publish = async (file: GeneratedFile, key: string) => {
      const stored = await file.closeFile();
      if (!stored) return undefined;
      await linkObject(deps, {
        tenant: batch.tenant,
        bucket: output.bucket,
        key,
        fileId: stored.id,
        size: stored.bytes,
        contentType: stored.contentType,
        lastModified: stored.createdAt,
      });
      // In one of the account's own buckets, the outputs land there too, where the team's tools read them — if the
      // key may still write there (create checked it; a grant taken back since keeps them in the gateway only).
      if (placeHolding(await deps.jobPlaces.of(batch.tenant), output.bucket, key))
        await exportFile(deps, stored, { bucket: output.bucket, key });
      return stored.id;
    };
    return {
      async write(result) {
        inputs ??= modelInputs();
        const modelInput = (await inputs).get(result.customId) ?? {};
        // Not processed: Bedrock writes no record.
        if (result.outcome === "cancelled" || result.outcome === "expired") return;
        manifest.processedRecordCount++;
        if (result.outcome === "succeeded" && result.response) {
          manifest.successRecordCount++;
          manifest.inputTokenCount += result.response.usage.inputTokens;
          manifest.outputTokenCount += result.response.usage.outputTokens;
          shape ??= recordShape();
          // A family's InvokeModel record is answered in that family's own response body, as Bedrock writes it.
          const family = await shape;
          const modelOutput =
            batch.endpoint === embeddingsEndpoint
              ? embeddingOutput(result.response, modelInput as Record<string, unknown>)
              : family
                ? invokeModelOutput(family, result.response)
                : converseOutput(result);
          await records.write({ recordId: result.customId, modelInput, modelOutput });
        } else {
          manifest.errorRecordCount++;
          await records.write({
            recordId: result.customId,
            modelInput,
            error: {
              errorCode: result.error?.statusCode ?? 500,
              errorMessage: result.error?.message ?? "The record failed.",
            },
          });
        }
      },
      async close() {
        const outputFileId = await publish(records, `${folder}${job.inputFileName}.out`);
        await manifestFile.write(manifest);
        await publish(manifestFile, `${folder}manifest.json.out`);
        return { outputFileId };
      },
    };
  };
