import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type ChatRequest, estimateTokens, textOf } from "../../lambdas/core/chat";
import { cohereEmbedding, titanEmbedding } from "../../lambdas/core/embeddings";
import { parseBedrockLine } from "../../lambdas/formats/converse-request";
import {
  closeServer,
  errorMarker,
  type Faults,
  FlakyRows,
  QuotaGauge,
  readBody,
  SimStore,
  type SimulatedReply,
  type Simulator,
  type SimulatorOptions,
  sendJson,
  serveSimulator,
  simulatedReply,
  simulatedThinking,
  simulatedVector,
} from "./common";

/** A Converse request body as a record or the runtime's `Converse` call holds it. */
type ConverseInput = Record<string, unknown>;

interface Record_ {
  recordId: string;
  modelInput: ConverseInput;
}

interface SimJob {
  arn: string;
  id: string;
  name: string;
  modelId: string;
  roleArn: string;
  token?: string;
  input: string;
  output: string;
  records: Record_[];
  submitMs: number;
  fate: "complete" | "fail" | "partial";
  failReason?: string;
  stopMs?: number;
  ended?: { status: string; at: number; success: number; errors: number };
  body: Record<string, unknown>;
  /** The tags the job was created with (ListTagsForResource answers them). */
  tags?: { key: string; value: string }[];
}

const parseS3 = (uri: string) => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`bad S3 URI ${uri}`);
  return { bucket: match[1]!, key: match[2]! };
};

/**
 * A Converse response for one request, or the reason Bedrock would refuse it: a prompt asking for a simulated error,
 * a body that is no Converse request, tool use without a tool configuration (as Bedrock says it).
 */
const converse = (input: ConverseInput): { output: ReturnType<typeof converseOutput> } | { error: string } => {
  let request: ChatRequest;
  try {
    request = parseBedrockLine({ recordId: "sim", modelInput: input }, 1).request;
  } catch (error) {
    return { error: `Malformed input request: ${(error as Error).message}` };
  }
  if (textOf(request.messages.at(-1)?.content ?? []).includes(errorMarker))
    return { error: "Simulated malformed input request." };
  const toolUse = request.messages.some((m) =>
    m.content.some((p) => p.type === "tool_call" || p.type === "tool_result"),
  );
  if (toolUse && !("toolConfig" in input))
    return { error: "The toolConfig field must be defined when using toolUse and toolResult content blocks." };
  const reply = simulatedReply(request);
  // Claude's extended thinking on Bedrock: asked for in `additionalModelRequestFields`, shown as reasoningContent.
  const fields = input.additionalModelRequestFields as { thinking?: { type?: string } } | undefined;
  const reasoning =
    fields?.thinking?.type === "enabled"
      ? simulatedThinking(textOf(request.messages.at(-1)?.content ?? []))
      : undefined;
  return "error" in reply ? reply : { output: converseOutput(reply, reasoning) };
};

const converseOutput = (reply: Exclude<SimulatedReply, { error: string }>, reasoning?: string) => ({
  output: {
    message: {
      role: "assistant",
      content: [
        ...(reasoning
          ? [{ reasoningContent: { reasoningText: { text: reasoning, signature: "sim-signature" } } }]
          : []),
        ...(reply.text ? [{ text: reply.text }] : []),
        ...reply.toolCalls.map((call) => ({
          toolUse: { toolUseId: `tooluse_${randomBytes(8).toString("hex")}`, name: call.name, input: call.args },
        })),
      ],
    },
  },
  stopReason: reply.toolCalls.length > 0 ? "tool_use" : "end_turn",
  usage: {
    inputTokens: reply.inputTokens,
    outputTokens: reply.outputTokens,
    totalTokens: reply.inputTokens + reply.outputTokens,
  },
  metrics: { latencyMs: 1 },
});

/** Titan Text Embeddings V2's answer: a deterministic unit vector of the asked size, and the text's tokens. */
const titanEmbed = (input: Record<string, unknown>) => {
  const text = typeof input.inputText === "string" ? input.inputText : "";
  const dimensions = typeof input.dimensions === "number" ? input.dimensions : 1024;
  return { embedding: simulatedVector(text, dimensions), inputTextTokenCount: estimateTokens(text) };
};

/** Cohere Embed's answer: a 1,024-dimension vector a text, in its `embeddings_floats` shape. */
const cohereEmbed = (input: Record<string, unknown>) => {
  const texts = Array.isArray(input.texts) ? (input.texts as string[]) : [];
  return {
    id: randomBytes(8).toString("hex"),
    texts,
    embeddings: texts.map((text) => simulatedVector(text, 1024)),
    response_type: "embeddings_floats",
  };
};

const isEmbedding = (modelId: string) => titanEmbedding.models.test(modelId) || cohereEmbedding.models.test(modelId);
const embed = (modelId: string, input: Record<string, unknown>) =>
  cohereEmbedding.models.test(modelId) ? cohereEmbed(input) : titanEmbed(input);

/** Options of the Bedrock simulator. */
export interface BedrockSimulatorOptions extends SimulatorOptions {
  /** Where jobs read inputs and write outputs (the S3 emulator). */
  s3: S3Client;
  /** Bedrock's minimum records per job. @default 100 */
  minRecords?: number;
  region?: string;
}

/**
 * Bedrock's control plane (model invocation jobs) and runtime (`Converse`), simulated on the real REST-JSON wire
 * format. Jobs read their input from the S3 emulator and write `{output}/{jobId}/{file}.out` and
 * `manifest.json.out` there, as Bedrock does; jobs under the minimum record count are refused.
 */
export const startBedrockSimulator = async (options: BedrockSimulatorOptions): Promise<Simulator> => {
  const latency = options.jobLatencyMs ?? 1500;
  const minRecords = options.minRecords ?? 100;
  const region = options.region ?? "us-east-1";
  const faults: Faults = { failNextCalls: [] };
  const jobs = new SimStore<SimJob>(options.stateDir, "bedrock-jobs");
  const limits = { jobRequests: 50_000, jobBytes: 1000 * 1000 * 1000, ...options.quotas };
  const quota = new QuotaGauge(options.quotas?.concurrent);

  const flaky = new FlakyRows();
  /** Whether a Converse body's last text is a flaky row's, failing this run. */
  const flakyNow = (modelInput: Record<string, unknown>): boolean => {
    try {
      const request = parseBedrockLine({ recordId: "sim", modelInput }, 1).request;
      return flaky.failsNow(textOf(request.messages.at(-1)?.content ?? []));
    } catch {
      return false;
    }
  };

  const awsError = (response: ServerResponse, status: number, type: string, message: string) =>
    sendJson(response, status, { message }, { "x-amzn-errortype": type });

  const writeOutputs = async (job: SimJob, processed: number) => {
    const lines: string[] = [];
    let success = 0;
    let inputTokens = 0;
    let outputTokens = 0;
    for (const record of job.records.slice(0, processed)) {
      if (isEmbedding(job.modelId)) {
        const modelOutput = embed(job.modelId, record.modelInput);
        success++;
        inputTokens += "inputTextTokenCount" in modelOutput ? modelOutput.inputTextTokenCount : 0;
        lines.push(JSON.stringify({ recordId: record.recordId, modelInput: record.modelInput, modelOutput }));
        continue;
      }
      if (flakyNow(record.modelInput)) {
        const error = { errorCode: 429, errorMessage: "ThrottlingException: Simulated throttling." };
        lines.push(JSON.stringify({ recordId: record.recordId, modelInput: record.modelInput, error }));
        continue;
      }
      const answer = converse(record.modelInput);
      if ("output" in answer) {
        const { output } = answer;
        success++;
        inputTokens += output.usage.inputTokens;
        outputTokens += output.usage.outputTokens;
        lines.push(JSON.stringify({ recordId: record.recordId, modelInput: record.modelInput, modelOutput: output }));
      } else {
        lines.push(
          JSON.stringify({
            recordId: record.recordId,
            modelInput: record.modelInput,
            error: { errorCode: 400, errorMessage: answer.error },
          }),
        );
      }
    }
    const { bucket, key } = parseS3(job.output);
    const folder = `${key.replace(/\/?$/, "/")}${job.id}/`;
    const inputName = job.input.slice(job.input.lastIndexOf("/") + 1);
    await options.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${folder}${inputName}.out`,
        Body: lines.join("\n") + (lines.length ? "\n" : ""),
      }),
    );
    const manifest = {
      totalRecordCount: job.records.length,
      processedRecordCount: processed,
      successRecordCount: success,
      errorRecordCount: processed - success,
      inputTokenCount: inputTokens,
      outputTokenCount: outputTokens,
    };
    await options.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${folder}manifest.json.out`, Body: JSON.stringify(manifest) }),
    );
    return { success, errors: processed - success };
  };

  /**
   * Moves a job along its lifecycle and writes its outputs when it ends. Two polls at once share one ending: a second
   * write of the same output object, under way while the gateway reads the first, handed it a truncated file.
   */
  const ending = new Map<string, Promise<void>>();
  const advance = (job: SimJob): Promise<void> => {
    if (job.ended) return Promise.resolve();
    const running = ending.get(job.arn) ?? advanceOnce(job).finally(() => ending.delete(job.arn));
    ending.set(job.arn, running);
    return running;
  };
  const advanceOnce = async (job: SimJob) => {
    const now = Date.now();
    const elapsed = now - job.submitMs;
    if (job.stopMs !== undefined && now - job.stopMs >= latency * 0.2) {
      job.ended = { status: "Stopped", at: now, ...(await writeOutputs(job, Math.floor(job.records.length / 2))) };
    } else if (job.fate === "fail" && elapsed >= latency * 0.2) {
      job.ended = { status: "Failed", at: now, success: 0, errors: 0 };
    } else if (elapsed >= latency && job.stopMs === undefined) {
      const processed = job.fate === "partial" ? Math.floor(job.records.length / 2) : job.records.length;
      job.ended = {
        status: job.fate === "partial" ? "PartiallyCompleted" : "Completed",
        at: now,
        ...(await writeOutputs(job, processed)),
      };
    }
    if (job.ended) jobs.save(job.arn);
  };

  const view = (job: SimJob) => {
    const elapsed = Date.now() - job.submitMs;
    const status =
      job.ended?.status ??
      (job.stopMs !== undefined
        ? "Stopping"
        : elapsed < latency * 0.1
          ? "Submitted"
          : elapsed < latency * 0.2
            ? "Validating"
            : elapsed < latency * 0.3
              ? "Scheduled"
              : "InProgress");
    const processed = job.ended
      ? job.ended.success + job.ended.errors
      : status === "InProgress"
        ? Math.floor((elapsed / latency) * job.records.length)
        : 0;
    return {
      ...job.body,
      jobArn: job.arn,
      jobName: job.name,
      modelId: job.modelId,
      roleArn: job.roleArn,
      status,
      ...(job.ended?.status === "Failed" && { message: job.failReason }),
      submitTime: new Date(job.submitMs).toISOString(),
      lastModifiedTime: new Date(job.ended?.at ?? Date.now()).toISOString(),
      ...(job.ended && { endTime: new Date(job.ended.at).toISOString() }),
      totalRecordCount: job.records.length,
      processedRecordCount: processed,
      successRecordCount: job.ended?.success ?? processed,
      errorRecordCount: job.ended?.errors ?? 0,
    };
  };

  const fault = (response: ServerResponse, status: number) =>
    awsError(
      response,
      status,
      status === 429 ? "ThrottlingException" : status >= 500 ? "InternalServerException" : "ValidationException",
      `Simulated ${status}`,
    );

  const { url, server, seenKeys, calls } = await serveSimulator(faults, fault, async (request, response, url) => {
    const method = request.method ?? "GET";
    const segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (method === "POST" && segments[0] === "model" && segments[2] === "converse") {
      const input = JSON.parse((await readBody(request)).toString("utf8")) as ConverseInput;
      if (flakyNow(input)) return awsError(response, 429, "ThrottlingException", "Simulated throttling.");
      const answer = converse(input);
      return "output" in answer
        ? sendJson(response, 200, answer.output)
        : awsError(response, 400, "ValidationException", answer.error);
    }
    if (method === "POST" && segments[0] === "model" && segments[2] === "invoke") {
      const modelId = segments[1] ?? "";
      if (!isEmbedding(modelId))
        return awsError(response, 400, "ValidationException", "The simulator invokes only embedding models.");
      const body = JSON.parse((await readBody(request)).toString("utf8")) as Record<string, unknown>;
      return sendJson(response, 200, embed(modelId, body));
    }
    if (method === "POST" && url.pathname === "/listTagsForResource") {
      const { resourceARN } = JSON.parse((await readBody(request)).toString("utf8")) as { resourceARN: string };
      const job = jobs.get(resourceARN);
      if (!job) return awsError(response, 404, "ResourceNotFoundException", `No resource ${resourceARN}`);
      return sendJson(response, 200, { tags: job.tags ?? [] });
    }
    if (method === "POST" && url.pathname === "/model-invocation-job") {
      const body = JSON.parse((await readBody(request)).toString("utf8")) as {
        jobName: string;
        roleArn: string;
        modelId: string;
        clientRequestToken?: string;
        tags?: { key: string; value: string }[];
        inputDataConfig: { s3InputDataConfig: { s3Uri: string } };
        outputDataConfig: { s3OutputDataConfig: { s3Uri: string } };
      };
      const existing = [...jobs.values()].find((j) => body.clientRequestToken && j.token === body.clientRequestToken);
      if (existing) return sendJson(response, 200, { jobArn: existing.arn });
      const input = parseS3(body.inputDataConfig.s3InputDataConfig.s3Uri);
      let text: string;
      try {
        const object = await options.s3.send(new GetObjectCommand({ Bucket: input.bucket, Key: input.key }));
        text = await object.Body!.transformToString();
      } catch {
        return awsError(
          response,
          400,
          "ValidationException",
          `Cannot read the input at ${body.inputDataConfig.s3InputDataConfig.s3Uri}`,
        );
      }
      const records = text
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Record_);
      if (records.length < minRecords) {
        return awsError(
          response,
          400,
          "ValidationException",
          `The number of records (${records.length}) is less than the minimum number of records per batch ` +
            `inference job (${minRecords}).`,
        );
      }
      if (records.length > limits.jobRequests || Buffer.byteLength(text) > limits.jobBytes)
        return awsError(
          response,
          400,
          "ValidationException",
          `The job's input passes the per-job limits (${limits.jobRequests} records, ${limits.jobBytes} bytes).`,
        );
      // Jobs submitted or in progress per model, Bedrock's quota.
      await Promise.all([...jobs.values()].map(advance));
      const running = [...jobs.values()].filter((j) => j.modelId === body.modelId && !j.ended).length;
      if (!quota.admits(running, 1))
        return awsError(
          response,
          400,
          "ServiceQuotaExceededException",
          `Batch inference jobs for ${body.modelId} would pass the quota of ${quota.limit} in progress or submitted.`,
        );
      // Bedrock documents recordId as an alphanumeric string.
      const badId = records.find((r) => r.recordId !== undefined && !/^[A-Za-z0-9]+$/.test(String(r.recordId)));
      if (badId) {
        return awsError(
          response,
          400,
          "ValidationException",
          `recordId ${JSON.stringify(badId.recordId)} is not alphanumeric.`,
        );
      }
      const id = randomBytes(6).toString("hex");
      const job: SimJob = {
        arn: `arn:aws:bedrock:${region}:000000000000:model-invocation-job/${id}`,
        id,
        name: body.jobName,
        modelId: body.modelId,
        roleArn: body.roleArn,
        token: body.clientRequestToken,
        input: body.inputDataConfig.s3InputDataConfig.s3Uri,
        output: body.outputDataConfig.s3OutputDataConfig.s3Uri,
        records,
        submitMs: Date.now(),
        fate: faults.failNextJob ? "fail" : faults.expireNextJob ? "partial" : "complete",
        failReason: faults.failNextJob,
        body: { inputDataConfig: body.inputDataConfig, outputDataConfig: body.outputDataConfig },
        tags: body.tags,
      };
      faults.failNextJob = undefined;
      faults.expireNextJob = undefined;
      jobs.set(job.arn, job);
      return sendJson(response, 200, { jobArn: job.arn });
    }
    if (method === "GET" && url.pathname === "/model-invocation-jobs") {
      const summaries = [...jobs.values()].map((job) => ({ jobArn: job.arn, jobName: job.name, modelId: job.modelId }));
      return sendJson(response, 200, { invocationJobSummaries: summaries });
    }
    if (segments[0] === "model-invocation-job" && segments[1]) {
      const job = jobs.get(segments[1]) ?? [...jobs.values()].find((j) => j.id === segments[1]);
      if (!job) return awsError(response, 404, "ResourceNotFoundException", `No job ${segments[1]}`);
      await advance(job);
      if (method === "GET") return sendJson(response, 200, view(job));
      if (method === "POST" && segments[2] === "stop") {
        request.resume();
        if (job.ended) return awsError(response, 400, "ValidationException", `Job ${job.id} has already ended`);
        job.stopMs ??= Date.now();
        jobs.save(job.arn);
        return sendJson(response, 200, {});
      }
    }
    awsError(response, 404, "UnknownOperationException", `Unknown route ${method} ${url.pathname}`);
  });
  return { url, faults, seenKeys, calls, quota, close: () => closeServer(server) };
};
