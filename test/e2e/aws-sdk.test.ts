import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { Agent } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  AccessDeniedException,
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  type GetModelInvocationJobCommandOutput,
  ListModelInvocationJobsCommand,
  paginateListModelInvocationJobs,
  ResourceNotFoundException,
  StopModelInvocationJobCommand,
  ValidationException,
} from "@aws-sdk/client-bedrock";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  type S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { GoogleGenAI } from "@google/genai";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completeKeepAlive } from "../../lambdas/dialects/bedrock/s3-multipart";
import { startTestGateway } from "../support/gateway";
import { waitForUpstreamBatch } from "../support/wait";

type Format = "bedrock" | "openai" | "gemini" | "anthropic";
const models = {
  bedrock: "anthropic.claude-3-sonnet-20240229-v1:0",
  openai: "gpt-4o-mini",
  gemini: "gemini-1.5-flash",
  anthropic: "claude-3-5-haiku-latest",
} as const;

/** The seeds' input lines for each provider's own format (`request-N` ids, the question as the prompt). */
const lineIn: Record<Format, (id: string, text: string) => object> = {
  bedrock: (id, text) => ({
    recordId: id,
    modelInput: { messages: [{ role: "user", content: [{ text }] }], inferenceConfig: { maxTokens: 100 } },
  }),
  openai: (id, text) => ({
    custom_id: id,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: models.openai, messages: [{ role: "user", content: text }], max_tokens: 100 },
  }),
  gemini: (id, text) => ({
    request: { contents: [{ role: "user", parts: [{ text }] }], generationConfig: { maxOutputTokens: 100 } },
    metadata: { key: id },
  }),
  anthropic: (id, text) => ({
    custom_id: id,
    params: { model: models.anthropic, max_tokens: 100, messages: [{ role: "user", content: text }] },
  }),
};

const inputLines = (format: Format, count: number): string =>
  Array.from({ length: count }, (_, i) =>
    lineIn[format](`request-${i + 1}`, `What is ${i + 1} + ${i + 1}? Answer briefly.`),
  )
    .map((line) => JSON.stringify(line))
    .join("\n");

/** Adds the seeds' `x-model-provider` header to every request of an AWS SDK client. */
const withProvider = <C extends { middlewareStack: S3Client["middlewareStack"] }>(client: C, provider: string): C => {
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers["x-model-provider"] = provider;
      return next(args);
    },
    { step: "build", name: "modelProvider" },
  );
  return client;
};

const ended = ["Completed", "Failed", "Stopped", "PartiallyCompleted", "Expired"];

describe("AWS SDKs (S3 + Bedrock) through the local gateway", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  const clients = (accessKeyId: string, provider?: string) => {
    const credentials = { accessKeyId, secretAccessKey: "secret" };
    const s3 = new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-west-2",
      credentials,
      forcePathStyle: true,
    });
    const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-west-2", credentials });
    return provider
      ? {
          s3: withProvider(s3, provider),
          bedrock: withProvider(bedrock as unknown as S3Client, provider) as unknown as BedrockClient,
        }
      : { s3, bedrock };
  };
  const waitForJob = async (bedrock: BedrockClient, jobArn: string): Promise<GetModelInvocationJobCommandOutput> => {
    for (let i = 0; i < 300; i++) {
      const job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
      if (ended.includes(job.status!)) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("job never ended");
  };
  const readText = async (s3: S3Client, bucket: string, key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();

  beforeAll(async () => {
    gateway = await startTestGateway({
      simulators: { jobLatencyMs: 400 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
      bedrockMinRecords: 5,
      // A team's own bucket (the S3 emulator stands in for it), which jobs may read and write under `batches/`.
      config: { jobBuckets: [{ bucket: "team-data", prefix: "batches/" }] },
    });
  });
  afterAll(() => gateway.stop());

  describe.each<[Format, number]>([
    ["bedrock", 6],
    ["bedrock", 3],
    ["openai", 3],
    ["gemini", 3],
    ["anthropic", 3],
  ])("the seeds' end-to-end workflow on %s (%i records)", (provider, count) => {
    it("uploads, runs the job, and leaves Bedrock-format outputs where Bedrock puts them", async () => {
      const { s3, bedrock } = clients(`AKID${provider.toUpperCase()}${count}`, provider);
      const native = provider === "bedrock";
      const bucket = native ? "your-s3-bucket" : `${provider}-files`;
      const key = native ? `finops-batch-input/batch_${count}.jsonl` : `batch_${count}.jsonl`;
      const upload = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: inputLines(provider, count),
          ContentType: "application/jsonl",
        }),
      );
      const fileId = upload.ETag!.replace(/"/g, "");
      const inputUri = native ? `s3://${bucket}/${key}` : `s3://${bucket}/${fileId}`;
      const outputUri = native ? `s3://${bucket}/finops-batch-output/` : `s3://${provider}-output/`;
      const { jobArn } = await bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: `${provider}-e2e-${count}`,
          modelId: models[provider],
          roleArn: `not-required-for-${provider}`,
          inputDataConfig: { s3InputDataConfig: { s3Uri: inputUri, s3InputFormat: "JSONL" } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: outputUri } },
          tags: [
            { key: "endpoint", value: "/v1/chat/completions" },
            { key: "file_id", value: fileId },
          ],
        }),
      );
      expect(jobArn).toMatch(/^arn:aws:bedrock:us-west-2:\d{12}:model-invocation-job\/[a-z2-7]{24}$/);
      const job = await waitForJob(bedrock, jobArn!);
      expect(job).toMatchObject({
        status: "Completed",
        totalRecordCount: count,
        successRecordCount: count,
        errorRecordCount: 0,
        jobName: `${provider}-e2e-${count}`,
      });
      expect(job.submitTime).toBeInstanceOf(Date);
      const listed = await bedrock.send(new ListModelInvocationJobsCommand({ maxResults: 20 }));
      expect(listed.invocationJobSummaries?.map((j) => j.jobArn)).toContain(jobArn);

      const jobId = jobArn!.slice(jobArn!.lastIndexOf("/") + 1);
      const out = new URL(outputUri.replace("s3://", "http://"));
      const folder = `${out.pathname.slice(1)}${jobId}/`;
      const outputs = await s3.send(new ListObjectsV2Command({ Bucket: out.host, Prefix: folder }));
      const fileName = native ? key.slice(key.lastIndexOf("/") + 1) : key;
      expect(outputs.Contents?.map((c) => c.Key).sort()).toEqual([
        `${folder}${fileName}.out`,
        `${folder}manifest.json.out`,
      ]);
      const records = (await readText(s3, out.host, `${folder}${fileName}.out`))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(records.map((r) => r.recordId).sort()).toEqual(
        Array.from({ length: count }, (_, i) => `request-${i + 1}`).sort(),
      );
      for (const record of records) {
        const n = Number(record.recordId.slice(8));
        expect(record.modelOutput.output.message.content[0].text).toBe(
          `Simulated reply to: What is ${n} + ${n}? Answer briefly.`,
        );
        expect(record.modelInput.messages[0].content[0].text).toBe(`What is ${n} + ${n}? Answer briefly.`);
        expect(record.modelOutput.usage.inputTokens).toBeGreaterThan(0);
      }
      const manifest = JSON.parse(await readText(s3, out.host, `${folder}manifest.json.out`));
      expect(manifest).toMatchObject({
        totalRecordCount: count,
        processedRecordCount: count,
        successRecordCount: count,
        errorRecordCount: 0,
      });
      expect(manifest.inputTokenCount).toBeGreaterThan(0);
    });
  });

  describe.each<Format>(["bedrock", "openai"])("a team's own bucket, on %s", (provider) => {
    it("reads the input straight from it and writes the outputs and manifest there; other places are refused", async () => {
      const team = gateway.gateway.s3; // the team's own S3, not the gateway
      const key = `batches/${provider}/in.jsonl`;
      await team.send(new PutObjectCommand({ Bucket: "team-data", Key: key, Body: inputLines(provider, 6) }));
      const { bedrock } = clients(`AKIDTEAM${provider.toUpperCase()}`, provider);
      const create = (input: string, output: string) =>
        bedrock.send(
          new CreateModelInvocationJobCommand({
            jobName: `team-${provider}`,
            modelId: models[provider],
            roleArn: "arn:aws:iam::123456789012:role/any",
            inputDataConfig: { s3InputDataConfig: { s3Uri: input } },
            outputDataConfig: { s3OutputDataConfig: { s3Uri: output } },
          }),
        );
      const { jobArn } = await create(`s3://team-data/${key}`, `s3://team-data/batches/${provider}/out/`);
      expect(await waitForJob(bedrock, jobArn!)).toMatchObject({ status: "Completed", successRecordCount: 6 });
      const jobId = jobArn!.slice(jobArn!.lastIndexOf("/") + 1);
      const folder = `batches/${provider}/out/${jobId}/`;
      const written = await team.send(new ListObjectsV2Command({ Bucket: "team-data", Prefix: folder }));
      expect(written.Contents?.map((c) => c.Key).sort()).toEqual([
        `${folder}in.jsonl.out`,
        `${folder}manifest.json.out`,
      ]);
      const records = (
        await (
          await team.send(new GetObjectCommand({ Bucket: "team-data", Key: `${folder}in.jsonl.out` }))
        ).Body!.transformToString()
      )
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { recordId: string; modelOutput: unknown });
      expect(records.map((r) => r.recordId).sort()).toEqual(
        Array.from({ length: 6 }, (_, i) => `request-${i + 1}`).sort(),
      );
      expect(records.every((r) => r.modelOutput)).toBe(true);
      const outside = [
        create(`s3://team-data/elsewhere/in.jsonl`, "s3://team-data/batches/out/"),
        create(`s3://team-data/${key}`, "s3://team-data/elsewhere/"),
        create("s3://no-such-team-bucket/in.jsonl", "s3://team-data/batches/out/"),
      ];
      const [otherInput, otherOutput, noObject] = await Promise.all(outside.map((p) => p.catch((e: unknown) => e)));
      // Open mode: every caller's jobs may use the whole ceiling, and nothing outside it.
      for (const refused of [otherInput, otherOutput]) {
        expect(refused).toBeInstanceOf(AccessDeniedException);
        expect((refused as Error).message).toContain("only under s3://team-data/batches/.");
      }
      expect(noObject).toBeInstanceOf(ValidationException);
      expect((noObject as Error).message).toContain("where this key's jobs may read: s3://team-data/batches/");
    });
  });

  it("keeps an errored record in the output with its recordId and Bedrock's error shape", async () => {
    const { s3, bedrock } = clients("AKIDERRORS");
    const lines = inputLines("bedrock", 2).replace("What is 2 + 2? Answer briefly.", "[[sim:error]] please fail");
    await s3.send(new PutObjectCommand({ Bucket: "errs", Key: "in/input.jsonl", Body: lines }));
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: "errs",
        modelId: models.bedrock,
        roleArn: "r",
        inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://errs/in/input.jsonl" } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://errs/out/" } },
      }),
    );
    const job = await waitForJob(bedrock, jobArn!);
    expect(job).toMatchObject({ status: "Completed", successRecordCount: 1, errorRecordCount: 1 });
    const jobId = jobArn!.split("/").pop();
    const records = (await readText(s3, "errs", `out/${jobId}/input.jsonl.out`))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records.find((r) => r.recordId === "request-2")).toMatchObject({ error: { errorCode: 400 } });
  });

  it("a small (on-demand) job stopped right after creation ends Stopped, never Completed", async () => {
    const { s3, bedrock } = clients("AKIDSTOPSMALL");
    await s3.send(new PutObjectCommand({ Bucket: "small", Key: "in.jsonl", Body: inputLines("bedrock", 3) }));
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: "stop-small",
        modelId: models.bedrock,
        roleArn: "r",
        inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://small/in.jsonl" } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://small/out/" } },
      }),
    );
    await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    expect((await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status).toBe("Stopping");
    const job = await waitForJob(bedrock, jobArn!);
    expect(job.status).toBe("Stopped");
    expect((job.successRecordCount ?? 0) + (job.errorRecordCount ?? 0)).toBeLessThanOrEqual(3);
  });

  it("stops a job: Stopping at once, then Stopped with the partial outputs", async () => {
    const slow = await startTestGateway({
      simulators: { jobLatencyMs: 4000 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
      bedrockMinRecords: 5,
    });
    try {
      const credentials = { accessKeyId: "AKIDSTOP", secretAccessKey: "s" };
      const s3 = new S3Client({
        endpoint: `${slow.url}/bedrock/files`,
        region: "us-east-1",
        credentials,
        forcePathStyle: true,
      });
      const bedrock = new BedrockClient({ endpoint: `${slow.url}/bedrock`, region: "us-east-1", credentials });
      await s3.send(new PutObjectCommand({ Bucket: "stops", Key: "in.jsonl", Body: inputLines("bedrock", 6) }));
      const { jobArn } = await bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: "stopme",
          modelId: models.bedrock,
          roleArn: "r",
          inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://stops/in.jsonl" } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://stops/out/" } },
        }),
      );
      await waitForUpstreamBatch(slow.gateway.simulators, "bedrock");
      await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
      expect((await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status).toBe("Stopping");
      for (let i = 0; i < 300; i++) {
        const job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
        if (job.status === "Stopped") {
          expect(job.successRecordCount).toBe(3);
          const records = (
            await (
              await s3.send(
                new GetObjectCommand({ Bucket: "stops", Key: `out/${jobArn!.split("/").pop()}/in.jsonl.out` }),
              )
            ).Body!.transformToString()
          )
            .trim()
            .split("\n");
          expect(records).toHaveLength(3);
          await expect(
            bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn })),
          ).rejects.toBeInstanceOf(ValidationException);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("never stopped");
    } finally {
      await slow.stop();
    }
  });

  it("makes create idempotent with clientRequestToken", async () => {
    const { s3, bedrock } = clients("AKIDIDEMPOTENT");
    await s3.send(new PutObjectCommand({ Bucket: "idem", Key: "in.jsonl", Body: inputLines("bedrock", 1) }));
    const create = () =>
      bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: "idem",
          clientRequestToken: "token-1",
          modelId: models.bedrock,
          roleArn: "r",
          inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://idem/in.jsonl" } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://idem/out/" } },
        }),
      );
    const [a, b] = [await create(), await create()];
    expect(a.jobArn).toBe(b.jobArn);
    expect((await bedrock.send(new ListModelInvocationJobsCommand({}))).invocationJobSummaries).toHaveLength(1);
    await waitForJob(bedrock, a.jobArn!);
  });

  it("lists jobs with maxResults/nextToken pages, nameContains and statusEquals", async () => {
    const { s3, bedrock } = clients("AKIDLISTJOBS");
    await s3.send(new PutObjectCommand({ Bucket: "lists", Key: "in.jsonl", Body: inputLines("bedrock", 1) }));
    const arns: string[] = [];
    for (const name of ["alpha-1", "beta-1", "alpha-2"]) {
      arns.push(
        (
          await bedrock.send(
            new CreateModelInvocationJobCommand({
              jobName: name,
              modelId: models.bedrock,
              roleArn: "r",
              inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://lists/in.jsonl" } },
              outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://lists/out/" } },
            }),
          )
        ).jobArn!,
      );
    }
    for (const arn of arns) await waitForJob(bedrock, arn);
    const seen: string[] = [];
    for await (const page of paginateListModelInvocationJobs({ client: bedrock }, { maxResults: 2 }))
      seen.push(...(page.invocationJobSummaries ?? []).map((j) => j.jobArn!));
    expect(seen).toEqual([...arns].reverse());
    const alphas = await bedrock.send(
      new ListModelInvocationJobsCommand({ nameContains: "alpha", sortOrder: "Ascending" }),
    );
    expect(alphas.invocationJobSummaries?.map((j) => j.jobName)).toEqual(["alpha-1", "alpha-2"]);
    expect(
      (await bedrock.send(new ListModelInvocationJobsCommand({ statusEquals: "InProgress" }))).invocationJobSummaries,
    ).toEqual([]);
    const future = await bedrock.send(
      new ListModelInvocationJobsCommand({ submitTimeAfter: new Date(Date.now() + 60_000) }),
    );
    expect(future.invocationJobSummaries).toEqual([]);
  });

  it("refuses bad input with AWS's typed errors", async () => {
    const { s3, bedrock } = clients("AKIDBAD");
    const create = (s3Uri: string, extra: Record<string, unknown> = {}) =>
      bedrock
        .send(
          new CreateModelInvocationJobCommand({
            jobName: "bad",
            modelId: models.bedrock,
            roleArn: "r",
            inputDataConfig: { s3InputDataConfig: { s3Uri } },
            outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://bad/out/" } },
            ...extra,
          }),
        )
        .catch((e: unknown) => e);
    await s3.send(
      new PutObjectCommand({
        Bucket: "bad",
        Key: "broken.jsonl",
        Body: `${inputLines("bedrock", 1)}\n{"recordId": "x", "modelInput": `,
      }),
    );
    const broken = await create("s3://bad/broken.jsonl");
    expect(broken).toBeInstanceOf(ValidationException);
    expect((broken as Error).message).toMatch(/Line 2: not valid JSON/);
    const unknown = await create("s3://bad/nothing-here.jsonl");
    expect(unknown).toBeInstanceOf(ValidationException);
    expect((unknown as Error).message).toMatch(/No input object at s3:\/\/bad\/nothing-here.jsonl/);
    expect(await create("s3://bad/broken.jsonl", { jobName: "bad name!" })).toBeInstanceOf(ValidationException);
    const missing = await bedrock
      .send(
        new GetModelInvocationJobCommand({
          jobIdentifier: "arn:aws:bedrock:us-west-2:000000000000:model-invocation-job/aaaaaaaaaaaaaaaaaaaaaaaa",
        }),
      )
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect((await bedrock.send(new ListModelInvocationJobsCommand({}))).invocationJobSummaries).toEqual([]);
  });

  describe("S3-compatible files", () => {
    it("round-trips plain and aws-chunked (streamed) bodies byte for byte", async () => {
      // GetObject streams raw bytes (no base64 on the way out), so bytes that are not UTF-8 need no Accept header.
      const { s3 } = clients("AKIDBODIES");
      const binary = s3;
      const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
      await s3.send(new PutObjectCommand({ Bucket: "bodies", Key: "plain.bin", Body: data }));
      await s3.send(
        new PutObjectCommand({
          Bucket: "bodies",
          Key: "dir/stream é+x.bin",
          Body: Readable.from([data.subarray(0, 40_000), data.subarray(40_000)]),
          ContentLength: data.byteLength,
        }),
      );
      for (const key of ["plain.bin", "dir/stream é+x.bin"]) {
        const object = await binary.send(new GetObjectCommand({ Bucket: "bodies", Key: key }));
        expect(object.ContentLength).toBe(data.byteLength);
        expect(Buffer.from(await object.Body!.transformToByteArray()).equals(data)).toBe(true);
      }
      const ranged = await binary.send(
        new GetObjectCommand({ Bucket: "bodies", Key: "plain.bin", Range: "bytes=10-19" }),
      );
      expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(data.subarray(10, 20))).toBe(true);
    });

    it("uploads 23 MB with lib-storage's 5 MB parts, straight to the bucket, and reads it back byte for byte", async () => {
      const { s3 } = clients("AKIDMULTIPART");
      const text = inputLines("bedrock", 1)
        .repeat(1)
        .concat(
          "\n",
          Array.from({ length: 40_000 }, (_, i) =>
            JSON.stringify(lineIn.bedrock(`r${i}`, `${i} ${"m".repeat(460)}`)),
          ).join("\n"),
        );
      const body = Buffer.from(text);
      const parts: number[] = [];
      const upload = new Upload({
        client: s3,
        params: { Bucket: "multi", Key: "in/big.jsonl", Body: Readable.from([body]), ContentType: "application/jsonl" },
      });
      upload.on("httpUploadProgress", (progress) => parts.push(progress.part ?? 0));
      const done = await upload.done();
      expect(new Set(parts).size).toBe(Math.ceil(body.byteLength / (5 * 1024 * 1024)));
      const head = await s3.send(new HeadObjectCommand({ Bucket: "multi", Key: "in/big.jsonl" }));
      expect(head).toMatchObject({ ContentLength: body.byteLength, ETag: done.ETag, ContentType: "application/jsonl" });
      const got = await (
        await s3.send(new GetObjectCommand({ Bucket: "multi", Key: "in/big.jsonl" }))
      ).Body!.transformToByteArray();
      expect(Buffer.from(got).equals(body)).toBe(true);
      // The object is a batch input like any other: a Bedrock job takes it by its key.
      const { bedrock } = clients("AKIDMULTIPART");
      const { jobArn } = await bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: "multipart-input",
          modelId: models.bedrock,
          roleArn: "arn:aws:iam::123456789012:role/any",
          inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://multi/in/big.jsonl" } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://multi/out/" } },
        }),
      );
      expect(await waitForJob(bedrock, jobArn!)).toMatchObject({ status: "Completed", totalRecordCount: 40_001 });
    });

    it("keeps a long CompleteMultipartUpload alive as S3 does: the SDK reads the result, or the <Error> in the 200", async () => {
      const { s3 } = clients("AKIDKEEPALIVE");
      const where = { Bucket: "slow", Key: "in/joined.jsonl" };
      const saved = { ...completeKeepAlive };
      // Every completion past the point where it answers as usual: 200 at once, spaces, then the outcome.
      Object.assign(completeKeepAlive, { answerWithinMs: 0, everyMs: 5 });
      try {
        const { UploadId } = await s3.send(new CreateMultipartUploadCommand(where));
        const part = await s3.send(new UploadPartCommand({ ...where, UploadId, PartNumber: 1, Body: "{}\n" }));
        const missing = await s3
          .send(
            new CompleteMultipartUploadCommand({
              ...where,
              UploadId,
              MultipartUpload: { Parts: [{ PartNumber: 2, ETag: part.ETag }] },
            }),
          )
          .catch((e: S3ServiceException) => e);
        expect((missing as S3ServiceException).name).toBe("InvalidPart");
        const done = await s3.send(
          new CompleteMultipartUploadCommand({
            ...where,
            UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
          }),
        );
        expect(done.ETag).toMatch(/^"[a-z0-9]+"$/);
        expect(await readText(s3, "slow", "in/joined.jsonl")).toBe("{}\n");
      } finally {
        Object.assign(completeKeepAlive, saved);
      }
    });

    it("refuses a bad multipart completion in S3's words, shows nothing before it completes, and frees parts on abort", async () => {
      const { s3 } = clients("AKIDPARTS");
      const where = { Bucket: "parts", Key: "in/manual.jsonl" };
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand(where));
      const five = Buffer.alloc(5 * 1024 * 1024, "a");
      const p1 = await s3.send(new UploadPartCommand({ ...where, UploadId, PartNumber: 1, Body: five }));
      const p2 = await s3.send(new UploadPartCommand({ ...where, UploadId, PartNumber: 2, Body: "tail" }));
      // A part's ETag is the MD5 of its bytes, as S3's.
      expect(p2.ETag).toBe(`"${createHash("md5").update("tail").digest("hex")}"`);
      const listed = await s3.send(new ListPartsCommand({ ...where, UploadId }));
      expect(listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
        [1, five.byteLength, p1.ETag],
        [2, 4, p2.ETag],
      ]);
      await expect(s3.send(new HeadObjectCommand(where))).rejects.toBeInstanceOf(NotFound);
      const complete = (parts: { PartNumber: number; ETag?: string }[]) =>
        s3
          .send(new CompleteMultipartUploadCommand({ ...where, UploadId, MultipartUpload: { Parts: parts } }))
          .catch((e: S3ServiceException) => e);
      const wrongOrder = (await complete([
        { PartNumber: 2, ETag: p2.ETag },
        { PartNumber: 1, ETag: p1.ETag },
      ])) as S3ServiceException;
      expect([wrongOrder.name, wrongOrder.$metadata.httpStatusCode]).toEqual(["InvalidPartOrder", 400]);
      const wrongTag = (await complete([{ PartNumber: 1, ETag: '"0123"' }])) as S3ServiceException;
      expect(wrongTag.name).toBe("InvalidPart");
      const missing = (await complete([{ PartNumber: 3, ETag: p2.ETag }])) as S3ServiceException;
      expect(missing.name).toBe("InvalidPart");
      const small = (await complete([{ PartNumber: 2, ETag: p2.ETag }])) as { ETag?: string };
      expect(small.ETag).toMatch(/^"[a-z0-9]{24}"$/); // a single (last) part may be small
      expect(await readText(s3, "parts", "in/manual.jsonl")).toBe("tail");
      // The upload is done: it takes no more parts, and a second one can be aborted, freeing what it stored.
      const after = (await s3
        .send(new UploadPartCommand({ ...where, UploadId, PartNumber: 3, Body: "x" }))
        .catch((e: unknown) => e)) as S3ServiceException;
      expect([after.name, after.$metadata.httpStatusCode]).toEqual(["NoSuchUpload", 404]);
      const second = await s3.send(new CreateMultipartUploadCommand(where));
      const other = Buffer.alloc(5 * 1024 * 1024, "b");
      await s3.send(new UploadPartCommand({ ...where, UploadId: second.UploadId, PartNumber: 1, Body: other }));
      const tooSmall = (await s3
        .send(
          new CompleteMultipartUploadCommand({
            ...where,
            UploadId: second.UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] },
          }),
        )
        .catch((e: unknown) => e)) as S3ServiceException;
      expect(tooSmall.name).toBe("InvalidPart"); // p1's tag is not this upload's part 1
      const chunks = async () =>
        (await readdir(join(gateway.dataDir, "s3"), { recursive: true })).filter((p) => p.includes(second.UploadId!));
      expect((await chunks()).length).toBeGreaterThan(0);
      await s3.send(new AbortMultipartUploadCommand({ ...where, UploadId: second.UploadId }));
      expect(await chunks()).toEqual([]);
      expect(await readText(s3, "parts", "in/manual.jsonl")).toBe("tail");
    });

    it("a PutObject body that fails its checks never becomes the object: the key keeps what it held", async () => {
      const { s3 } = clients("AKIDBADBODY");
      await s3.send(new PutObjectCommand({ Bucket: "keep", Key: "a.jsonl", Body: "first" }));
      // API Gateway stores a body unseen, so the PUT is answered; the join then finds the framing broken.
      const broken = await fetch(`${gateway.url}/bedrock/files/keep/a.jsonl`, {
        method: "PUT",
        headers: {
          authorization:
            "AWS4-HMAC-SHA256 Credential=AKIDBADBODY/20261122/us-west-2/s3/aws4_request, SignedHeaders=host, Signature=" +
            "0".repeat(64),
          "content-encoding": "aws-chunked",
          "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        },
        body: "zz\r\nnot hex\r\n",
      });
      expect(broken.status).toBe(200);
      expect(await readText(s3, "keep", "a.jsonl")).toBe("first");
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: "keep" }));
      expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([["a.jsonl", 5]]);
    });

    it("reads a 50 MB job output whole and in ranges: the object streams, no response size limit", async () => {
      // The input arrives through the GenAI SDK's resumable upload (the same key is the same tenant in open mode).
      const key = "AKIDBIGOUTPUT";
      const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: `${gateway.url}/genai` } });
      const filler = "y".repeat(10_000);
      const text = Array.from({ length: 5_000 }, (_, i) =>
        JSON.stringify(lineIn.bedrock(`request-${i + 1}`, `${i + 1} ${filler}`)),
      ).join("\n");
      const file = await ai.files.upload({
        file: new Blob([text], { type: "application/jsonl" }),
        config: { mimeType: "application/jsonl", displayName: "big.jsonl" },
      });
      const { s3, bedrock } = clients(key);
      const { jobArn } = await bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: "big-output",
          modelId: models.bedrock,
          roleArn: "arn:aws:iam::123456789012:role/any",
          inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://inputs/${file.name}` } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://big-output/" } },
        }),
      );
      expect((await waitForJob(bedrock, jobArn!)).status).toBe("Completed");
      const outKey = `${jobArn!.slice(jobArn!.lastIndexOf("/") + 1)}/big.jsonl.out`;
      const head = await s3.send(new HeadObjectCommand({ Bucket: "big-output", Key: outKey }));
      expect(head.ContentLength).toBeGreaterThan(50_000_000);
      const whole = await (
        await s3.send(new GetObjectCommand({ Bucket: "big-output", Key: outKey }))
      ).Body!.transformToByteArray();
      expect(whole.byteLength).toBe(head.ContentLength);
      const lines = Buffer.from(whole).toString("utf8").trim().split("\n");
      expect(lines).toHaveLength(5_000);
      const range = await s3.send(
        new GetObjectCommand({ Bucket: "big-output", Key: outKey, Range: "bytes=30000000-30008388" }),
      );
      expect(range.ContentRange).toBe(`bytes 30000000-30008388/${head.ContentLength}`);
      expect(Buffer.from(await range.Body!.transformToByteArray())).toEqual(
        Buffer.from(whole.subarray(30_000_000, 30_008_389)),
      );
    });

    it("returns text objects as text to a GetObject without Accept, and keeps a HEAD's Content-Length", async () => {
      const { s3 } = clients("AKIDTEXT");
      const text = `${inputLines("bedrock", 3)}\n{"note": "ünïcödé ✓"}\n`;
      await s3.send(new PutObjectCommand({ Bucket: "texts", Key: "in.jsonl", Body: text }));
      const object = await s3.send(new GetObjectCommand({ Bucket: "texts", Key: "in.jsonl" }));
      expect(await object.Body!.transformToString()).toBe(text);
      const head = await s3.send(new HeadObjectCommand({ Bucket: "texts", Key: "in.jsonl" }));
      expect(head.ContentLength).toBe(Buffer.byteLength(text));
    });

    it("serves virtual-hosted requests where the Host carries the bucket (a DNS host such as localhost)", async () => {
      const port = new URL(gateway.url).port;
      const agent = new Agent({
        lookup: (_host, options, callback) =>
          options.all
            ? callback(null, [{ address: "127.0.0.1", family: 4 }] as never, 4)
            : callback(null, "127.0.0.1", 4),
      });
      const virtual = new S3Client({
        endpoint: `http://localhost:${port}/bedrock/files`,
        region: "us-west-2",
        credentials: { accessKeyId: "AKIDVIRTUAL", secretAccessKey: "s" },
        requestHandler: new NodeHttpHandler({ httpAgent: agent }),
      });
      const put = await virtual.send(
        new PutObjectCommand({ Bucket: "my-bucket", Key: "input/records.jsonl", Body: inputLines("bedrock", 1) }),
      );
      const pathStyle = new S3Client({
        endpoint: `${gateway.url}/bedrock/files`,
        region: "us-west-2",
        credentials: { accessKeyId: "AKIDVIRTUAL", secretAccessKey: "s" },
        forcePathStyle: true,
      });
      const head = await pathStyle.send(new HeadObjectCommand({ Bucket: "my-bucket", Key: "input/records.jsonl" }));
      expect(head.ETag).toBe(put.ETag);
      const listed = await virtual.send(new ListObjectsV2Command({ Bucket: "my-bucket" }));
      expect(listed.Contents?.map((c) => c.Key)).toEqual(["input/records.jsonl"]);
    });

    it("checks If-Match on head, get and delete", async () => {
      const { s3 } = clients("AKIDIFMATCH");
      const put = await s3.send(
        new PutObjectCommand({ Bucket: "cond", Key: "a.jsonl", Body: inputLines("openai", 1) }),
      );
      expect(
        (await s3.send(new HeadObjectCommand({ Bucket: "cond", Key: "a.jsonl", IfMatch: put.ETag }))).ContentLength,
      ).toBeGreaterThan(0);
      const head = await s3
        .send(new HeadObjectCommand({ Bucket: "cond", Key: "a.jsonl", IfMatch: '"deadbeef"' }))
        .catch((e: unknown) => e);
      expect((head as S3ServiceException).$metadata.httpStatusCode).toBe(412);
      const get = await s3
        .send(new GetObjectCommand({ Bucket: "cond", Key: "a.jsonl", IfMatch: '"deadbeef"' }))
        .catch((e: unknown) => e);
      expect((get as S3ServiceException).name).toBe("PreconditionFailed");
      const del = await s3
        .send(new DeleteObjectCommand({ Bucket: "cond", Key: "a.jsonl", IfMatch: '"deadbeef"' }))
        .catch((e: unknown) => e);
      expect((del as S3ServiceException).name).toBe("PreconditionFailed");
      expect(
        (await s3.send(new DeleteObjectCommand({ Bucket: "cond", Key: "a.jsonl", IfMatch: put.ETag }))).$metadata
          .httpStatusCode,
      ).toBe(204);
      await expect(s3.send(new GetObjectCommand({ Bucket: "cond", Key: "a.jsonl" }))).rejects.toBeInstanceOf(NoSuchKey);
      const gone = await s3.send(new HeadObjectCommand({ Bucket: "cond", Key: "a.jsonl" })).catch((e: unknown) => e);
      expect((gone as S3ServiceException).$metadata.httpStatusCode).toBe(404);
    });

    it("deletes many keys at once (DeleteObjects, as `aws s3 rm --recursive` sends it), each answered", async () => {
      const { s3 } = clients("AKIDDELETEMANY");
      const keys = ["d/1.jsonl", "d/a & <b> 'q'.jsonl", "d/ü 100%.jsonl"];
      for (const key of [...keys, "keep.jsonl"])
        await s3.send(new PutObjectCommand({ Bucket: "many", Key: key, Body: "{}" }));
      const deleted = await s3.send(
        new DeleteObjectsCommand({
          Bucket: "many",
          Delete: { Objects: [...keys, "d/never-there.jsonl"].map((Key) => ({ Key })) },
        }),
      );
      expect(deleted.Deleted?.map((d) => d.Key).sort()).toEqual([...keys, "d/never-there.jsonl"].sort());
      expect(deleted.Errors ?? []).toEqual([]);
      const left = await s3.send(new ListObjectsV2Command({ Bucket: "many" }));
      expect(left.Contents?.map((c) => c.Key)).toEqual(["keep.jsonl"]);
      const quiet = await s3.send(
        new DeleteObjectsCommand({ Bucket: "many", Delete: { Objects: [{ Key: "x" }], Quiet: true } }),
      );
      expect(quiet.Deleted ?? []).toEqual([]);
    });

    /** What an AWS SDK call presents in open mode: a SigV4 header whose access key id is the tenant (not verified). */
    const openModeAuth = (accessKeyId: string) => ({
      authorization:
        `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261203/us-west-2/s3/aws4_request, SignedHeaders=host, ` +
        `Signature=${"0".repeat(64)}`,
    });

    it("answers ranges, max-keys, malformed XML and foreign ARNs as S3 and Bedrock do (F18, F25–F27)", async () => {
      const { s3, bedrock } = clients("AKIDSEMANTICS");
      await s3.send(new PutObjectCommand({ Bucket: "semantics", Key: "ten.txt", Body: "0123456789" }));
      const past = (await s3
        .send(new GetObjectCommand({ Bucket: "semantics", Key: "ten.txt", Range: "bytes=100-200" }))
        .catch((e: unknown) => e)) as S3ServiceException;
      expect([past.name, past.$metadata.httpStatusCode]).toEqual(["InvalidRange", 416]);
      const raw = await fetch(`${gateway.url}/bedrock/files/semantics/ten.txt`, {
        headers: { ...openModeAuth("AKIDSEMANTICS"), range: "bytes=-0" },
      });
      expect([raw.status, raw.headers.get("content-range")]).toEqual([416, "bytes */10"]);
      // A range whose last byte precedes its first is not a range: the whole object.
      const ignored = await s3.send(new GetObjectCommand({ Bucket: "semantics", Key: "ten.txt", Range: "bytes=5-2" }));
      expect(await ignored.Body!.transformToString()).toBe("0123456789");
      const many = await s3.send(new ListObjectsV2Command({ Bucket: "semantics", MaxKeys: 100_000 }));
      expect([many.MaxKeys, many.KeyCount]).toEqual([1000, 1]);
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: "semantics", Key: "m.bin" }));
      const malformed = await fetch(`${gateway.url}/bedrock/files/semantics/m.bin?uploadId=${UploadId}`, {
        method: "POST",
        headers: openModeAuth("AKIDSEMANTICS"),
        body: "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x",
      });
      expect(await malformed.text()).toContain("<Code>MalformedXML</Code>");
      const input = await s3.send(
        new PutObjectCommand({ Bucket: "semantics", Key: "in.jsonl", Body: inputLines("bedrock", 1) }),
      );
      expect(input.ETag).toBeDefined();
      const { jobArn } = await bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: "arns",
          modelId: models.bedrock,
          roleArn: "arn:aws:iam::123456789012:role/x",
          inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://semantics/in.jsonl" } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://semantics/out/" } },
        }),
      );
      const foreign = [jobArn!.replace(/:\d{12}:/, ":123456789012:"), jobArn!.replace("us-west-2", "eu-west-1")];
      for (const arn of foreign) {
        await expect(bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: arn }))).rejects.toMatchObject({
          name: "ResourceNotFoundException",
        });
      }
      expect((await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn! }))).jobArn).toBe(jobArn);
    });

    it("lists keys holding U+10FFFF under a delimiter once, and ends (F9, against the emulated index)", async () => {
      const { s3 } = clients("AKIDLOOPTEST");
      for (const Key of ["a/\u{10FFFF}x", "a/\u{10FFFF}y", "b.txt", "c\u{10FFFF}/d"])
        await s3.send(new PutObjectCommand({ Bucket: "looptest", Key, Body: "x" }));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: "looptest", Delimiter: "/" }));
      expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["a/", "c\u{10FFFF}/"]);
      expect([listed.Contents?.map((c) => c.Key), listed.IsTruncated]).toEqual([["b.txt"], false]);
      const under = await s3.send(new ListObjectsV2Command({ Bucket: "looptest", Prefix: "a/" }));
      expect(under.Contents?.map((c) => c.Key)).toEqual(["a/\u{10FFFF}x", "a/\u{10FFFF}y"]);
    });

    it("lists keys with line breaks and control characters as S3 does: references, or URL-encoded when asked", async () => {
      const { s3 } = clients("AKIDCONTROLKEYS");
      const keys = ["line\r\nbreak", "tab\there", "bell\u0007/x", "plus+ %20"];
      for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: "controls", Key, Body: "x" }));
      const plain = await s3.send(new ListObjectsV2Command({ Bucket: "controls", Prefix: "line" }));
      expect(plain.Contents?.map((c) => c.Key)).toEqual(["line\r\nbreak"]);
      // boto3 asks for encoding-type=url on every listing and decodes what comes back.
      const encoded = await s3.send(
        new ListObjectsV2Command({ Bucket: "controls", EncodingType: "url", Delimiter: "/" }),
      );
      expect(encoded.EncodingType).toBe("url");
      expect(encoded.Contents?.map((c) => decodeURIComponent(c.Key!)).sort()).toEqual(
        ["line\r\nbreak", "plus+ %20", "tab\there"].sort(),
      );
      expect(encoded.CommonPrefixes?.map((p) => decodeURIComponent(p.Prefix!))).toEqual(["bell\u0007/"]);
    });

    it("lists with prefix, delimiter, start-after and continuation tokens", async () => {
      const { s3 } = clients("AKIDLISTS3");
      const keys = ["a/1.jsonl", "a/2.jsonl", "a/b/3.jsonl", "a/b/4.jsonl", "a/c/5.jsonl", "z.jsonl"];
      for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: "listing", Key: key, Body: "{}" }));
      const all: string[] = [];
      for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: "listing" }))
        all.push(...(page.Contents ?? []).map((c) => c.Key!));
      expect(all).toEqual(keys);
      const grouped = await s3.send(new ListObjectsV2Command({ Bucket: "listing", Prefix: "a/", Delimiter: "/" }));
      expect(grouped.Contents?.map((c) => c.Key)).toEqual(["a/1.jsonl", "a/2.jsonl"]);
      expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["a/b/", "a/c/"]);
      const pagedGroups: string[] = [];
      for await (const page of paginateListObjectsV2(
        { client: s3, pageSize: 1 },
        { Bucket: "listing", Prefix: "a/", Delimiter: "/" },
      )) {
        pagedGroups.push(
          ...(page.Contents ?? []).map((c) => c.Key!),
          ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!),
        );
      }
      expect(pagedGroups).toEqual(["a/1.jsonl", "a/2.jsonl", "a/b/", "a/c/"]);
      const after = await s3.send(new ListObjectsV2Command({ Bucket: "listing", StartAfter: "a/c/5.jsonl" }));
      expect(after.Contents?.map((c) => c.Key)).toEqual(["z.jsonl"]);
      await expect(s3.send(new ListObjectsV2Command({ Bucket: "never-used" }))).rejects.toBeInstanceOf(NoSuchBucket);
    });

    it("keeps two access keys apart: neither sees the other's objects or jobs", async () => {
      const a = clients("AKIDTENANTA");
      const b = clients("AKIDTENANTB");
      await a.s3.send(
        new PutObjectCommand({ Bucket: "shared-name", Key: "secret.jsonl", Body: inputLines("bedrock", 1) }),
      );
      const { jobArn } = await a.bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: "mine",
          modelId: models.bedrock,
          roleArn: "r",
          inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://shared-name/secret.jsonl" } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://shared-name/out/" } },
        }),
      );
      await expect(
        b.s3.send(new GetObjectCommand({ Bucket: "shared-name", Key: "secret.jsonl" })),
      ).rejects.toBeInstanceOf(NoSuchKey);
      await expect(b.s3.send(new ListObjectsV2Command({ Bucket: "shared-name" }))).rejects.toBeInstanceOf(NoSuchBucket);
      await expect(b.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).rejects.toBeInstanceOf(
        ResourceNotFoundException,
      );
      await expect(b.bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }))).rejects.toBeInstanceOf(
        ResourceNotFoundException,
      );
      const stolen = await b.bedrock
        .send(
          new CreateModelInvocationJobCommand({
            jobName: "steal",
            modelId: models.bedrock,
            roleArn: "r",
            inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://shared-name/secret.jsonl" } },
            outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://x/out/" } },
          }),
        )
        .catch((e: unknown) => e);
      expect(stolen).toBeInstanceOf(ValidationException);
      await waitForJob(a.bedrock, jobArn!);
    });
  });
});
