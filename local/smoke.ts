import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  StopModelInvocationJobCommand,
} from "@aws-sdk/client-bedrock";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GoogleGenAI } from "@google/genai";
import OpenAI, { toFile } from "openai";
import type { Provider } from "../lambdas/core/model";

/** What the smoke run needs: the gateway, a gateway credential, and what to try. */
export interface SmokeOptions {
  /** The gateway's base URL (`GatewayUrl`, or a custom domain with its base path). */
  url: string;
  /** A gateway API key (OpenAI, Anthropic and GenAI SDKs). */
  apiKey: string;
  /** The same credential's AWS key pair (S3 and Bedrock SDKs). */
  accessKeyId: string;
  secretAccessKey: string;
  /** The providers to run a batch on through each SDK. */
  providers: readonly Provider[];
  /** The model each provider runs. */
  models: Record<Provider, string>;
  /** The region the AWS SDK signs for. @default "us-east-1" */
  region?: string;
  /** How long a batch may take before it is reported as still running. @default 900 s */
  waitSeconds?: number;
  /** Seconds between polls. @default 5 */
  pollSeconds?: number;
  /** Told of each check as it finishes (the run takes minutes: the command prints each row at once). */
  onRow?: (row: SmokeRow) => void;
}

import { defaultModels } from "./default-models";

export { defaultModels };

/** One line of the report. */
export interface SmokeRow {
  sdk: "openai" | "anthropic" | "genai" | "aws";
  provider: Provider | "-";
  check: string;
  result: "pass" | "fail" | "running";
  detail: string;
  seconds: number;
}

const questions = ["What is 2 + 2?", "Name a primary colour."];
/** Ids that need care on the way (Bedrock takes only alphanumerics; the gateway maps and restores them). */
const ids = ["smoke-1", "smoke_2"];
/** An object key that needs encoding in a URL and in a SigV4 canonical request: a space, `%`, unicode. */
const awkwardKey = "smoke/in put 100% ✓.jsonl";

const openAiLines = (model: string) =>
  questions
    .map((q, i) =>
      JSON.stringify({
        custom_id: ids[i],
        method: "POST",
        url: "/v1/chat/completions",
        body: { model, messages: [{ role: "user", content: q }], max_tokens: 50 },
      }),
    )
    .join("\n");

const bedrockLines = () =>
  questions
    .map((q, i) =>
      JSON.stringify({
        recordId: ids[i],
        modelInput: { messages: [{ role: "user", content: [{ text: q }] }], inferenceConfig: { maxTokens: 50 } },
      }),
    )
    .join("\n");

/** Runs every check and returns the report; a failing check never stops the others. */
export const runSmoke = async (options: SmokeOptions): Promise<SmokeRow[]> => {
  const rows: SmokeRow[] = [];
  const report = (row: SmokeRow) => {
    rows.push(row);
    options.onRow?.(row);
  };
  const gw = options.url.replace(/\/+$/, "");
  const waitMs = (options.waitSeconds ?? 900) * 1000;
  const pollMs = (options.pollSeconds ?? 5) * 1000;
  const sleep = () => new Promise((resolve) => setTimeout(resolve, pollMs));
  const dir = await mkdtemp(join(tmpdir(), "finops-smoke-"));

  /** Runs one check; what it returns is the row's detail, "running" when a batch has not ended in time. */
  const check = async (
    sdk: SmokeRow["sdk"],
    provider: SmokeRow["provider"],
    name: string,
    run: () => Promise<string | { running: string }>,
  ) => {
    const started = Date.now();
    try {
      const outcome = await run();
      const running = typeof outcome === "object";
      report({
        sdk,
        provider,
        check: name,
        result: running ? "running" : "pass",
        detail: running ? outcome.running : outcome,
        seconds: (Date.now() - started) / 1000,
      });
    } catch (error) {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      report({ sdk, provider, check: name, result: "fail", detail, seconds: (Date.now() - started) / 1000 });
    }
  };
  /** Polls until `ended` says so or the wait runs out. */
  const until = async <T>(read: () => Promise<T>, ended: (value: T) => boolean): Promise<T | undefined> => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const value = await read();
      if (ended(value)) return value;
      if (Date.now() > deadline) return undefined;
      await sleep();
    }
  };
  const expect = (condition: boolean, message: string) => {
    if (!condition) throw new Error(message);
  };
  /** A check that a call fails as the SDK's typed error with this status. */
  const refused = async (call: () => Promise<unknown>, status: number, what: string): Promise<string> => {
    try {
      await call();
    } catch (error) {
      const got =
        (error as { status?: number; $metadata?: { httpStatusCode?: number } }).status ??
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      expect(got === status, `${what}: expected ${status}, got ${got} (${(error as Error).message})`);
      return `${status} ${(error as Error).name}: ${(error as Error).message.slice(0, 120)}`;
    }
    throw new Error(`${what} was accepted`);
  };

  // OpenAI SDK: Files and Batches.
  const openai = (apiKey = options.apiKey) => new OpenAI({ baseURL: `${gw}/openai`, apiKey, maxRetries: 1 });
  /** Uploads the two-request file for a provider and creates a batch on it. */
  const openAiBatch = async (client: OpenAI, provider: Provider, filename: string) => {
    const file = await client.files.create({
      file: await toFile(Buffer.from(openAiLines(options.models[provider])), filename),
      purpose: "batch",
      provider,
    } as never);
    return client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider,
    } as never);
  };
  for (const provider of options.providers) {
    await check("openai", provider, "upload, batch, poll, results", async () => {
      const client = openai();
      const created = await openAiBatch(client, provider, "smoke.jsonl");
      const ended = await until(
        () => client.batches.retrieve(created.id),
        (b) => ["completed", "failed", "expired", "cancelled"].includes(b.status),
      );
      if (!ended) return { running: `${created.id} still running` };
      expect(ended.status === "completed", `${created.id} ended ${ended.status}: ${JSON.stringify(ended.errors)}`);
      const text = await (await client.files.content(ended.output_file_id!)).text();
      const lines = text
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { custom_id: string; response: { body: { object: string } } });
      expect(
        lines
          .map((l) => l.custom_id)
          .sort()
          .join() === [...ids].sort().join(),
        `output ids: ${text.slice(0, 200)}`,
      );
      expect(
        lines.every((l) => l.response.body.object === "chat.completion"),
        "not chat.completion bodies",
      );
      return `${created.id}: ${lines.length} chat.completion lines`;
    });
  }
  await check("openai", options.providers[0] ?? "-", "cancel", async () => {
    const client = openai();
    const created = await openAiBatch(client, options.providers[0] ?? "openai", "cancel.jsonl");
    const cancelling = await client.batches.cancel(created.id);
    expect(["cancelling", "cancelled"].includes(cancelling.status), `cancel answered ${cancelling.status}`);
    const ended = await until(
      () => client.batches.retrieve(created.id),
      (b) => b.status === "cancelled",
    );
    return ended ? `${created.id} cancelled` : { running: `${created.id} still cancelling` };
  });
  await check("openai", "-", "bad input is a 400 naming the line", async () => {
    const file = await toFile(Buffer.from(`${openAiLines(defaultModels.openai)}\n{not json`), "bad.jsonl");
    const detail = await refused(() => openai().files.create({ file, purpose: "batch" }), 400, "a broken line 3");
    expect(detail.includes("Line 3"), `the error does not name line 3: ${detail}`);
    return detail;
  });
  await check("openai", "-", "a wrong key is a 401", () =>
    refused(() => openai("sk-wrong").files.list(), 401, "a wrong key"),
  );

  // Anthropic SDK: Message Batches.
  const anthropic = (provider?: Provider, apiKey = options.apiKey) =>
    new Anthropic({
      baseURL: `${gw}/anthropic`,
      apiKey,
      maxRetries: 1,
      defaultHeaders: provider ? { "x-model-provider": provider } : {},
    });
  const anthropicRequests = (model: string) =>
    questions.map((q, i) => ({
      custom_id: ids[i]!,
      params: { model, max_tokens: 50, messages: [{ role: "user" as const, content: q }] },
    }));
  for (const provider of options.providers) {
    await check("anthropic", provider, "batch, poll, results", async () => {
      const client = anthropic(provider);
      const created = await client.messages.batches.create({ requests: anthropicRequests(options.models[provider]) });
      const ended = await until(
        () => client.messages.batches.retrieve(created.id),
        (b) => b.processing_status === "ended",
      );
      if (!ended) return { running: `${created.id} still in progress` };
      const results = [];
      for await (const result of await client.messages.batches.results(created.id)) results.push(result);
      expect(
        results
          .map((r) => r.custom_id)
          .sort()
          .join() === [...ids].sort().join(),
        "result ids differ",
      );
      expect(
        results.every((r) => r.result.type === "succeeded"),
        `results: ${results.map((r) => r.result.type)}`,
      );
      return `${created.id}: ${results.length} succeeded`;
    });
  }
  await check("anthropic", options.providers[0] ?? "-", "cancel", async () => {
    const provider = options.providers[0] ?? "anthropic";
    const client = anthropic(provider);
    const created = await client.messages.batches.create({ requests: anthropicRequests(options.models[provider]) });
    const canceling = await client.messages.batches.cancel(created.id);
    expect(["canceling", "ended"].includes(canceling.processing_status), `cancel: ${canceling.processing_status}`);
    const ended = await until(
      () => client.messages.batches.retrieve(created.id),
      (b) => b.processing_status === "ended",
    );
    return ended ? `${created.id} ended after cancel` : { running: `${created.id} still canceling` };
  });
  await check("anthropic", "-", "bad input is a 400", () =>
    refused(
      () => anthropic().messages.batches.create({ requests: [{ custom_id: "x", params: {} as never }] }),
      400,
      "a request without params",
    ),
  );
  await check("anthropic", "-", "a wrong key is a 401", () =>
    refused(() => anthropic(undefined, "sk-ant-wrong").messages.batches.list(), 401, "a wrong key"),
  );

  // Google GenAI SDK: resumable upload, a batch from the file, the responses file.
  const genai = (provider?: Provider, apiKey = options.apiKey) =>
    new GoogleGenAI({
      apiKey,
      httpOptions: { baseUrl: `${gw}/genai`, headers: provider ? { "x-model-provider": provider } : {} },
    });
  const geminiLines = questions
    .map((q, i) => JSON.stringify({ key: ids[i], request: { contents: [{ role: "user", parts: [{ text: q }] }] } }))
    .join("\n");
  const genAiEnded = ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"];
  for (const provider of options.providers) {
    await check("genai", provider, "upload, batch, poll, responses file", async () => {
      const ai = genai(provider);
      const file = await ai.files.upload({
        file: new Blob([geminiLines], { type: "application/jsonl" }),
        config: { displayName: "smoke.jsonl", mimeType: "application/jsonl" },
      });
      const created = await ai.batches.create({ model: options.models[provider], src: file.name! });
      const ended = await until(
        () => ai.batches.get({ name: created.name! }),
        (job) => genAiEnded.includes(String(job.state)),
      );
      if (!ended) return { running: `${created.name} still running` };
      expect(ended.state === "JOB_STATE_SUCCEEDED", `${created.name} ended ${ended.state}`);
      const path = join(dir, `${provider}.jsonl`);
      await ai.files.download({ file: ended.dest!.fileName!, downloadPath: path });
      const lines = (await readFile(path, "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { key: string });
      expect(lines.map((l) => l.key).join() === ids.join(), `responses out of order: ${lines.map((l) => l.key)}`);
      return `${created.name}: ${lines.length} responses in input order`;
    });
  }
  await check("genai", options.providers[0] ?? "-", "cancel", async () => {
    const provider = options.providers[0] ?? "gemini";
    const ai = genai(provider);
    const src = questions.map((q) => ({ contents: [{ role: "user", parts: [{ text: q }] }] }));
    const created = await ai.batches.create({ model: options.models[provider], src });
    await ai.batches.cancel({ name: created.name! });
    const ended = await until(
      () => ai.batches.get({ name: created.name! }),
      (job) => genAiEnded.includes(String(job.state)),
    );
    if (!ended) return { running: `${created.name} still cancelling` };
    expect(ended.state === "JOB_STATE_CANCELLED", `${created.name} ended ${ended.state}`);
    return `${created.name} cancelled`;
  });
  await check("genai", "-", "bad input is a 400 naming the line", async () => {
    const ai = genai();
    const bad = await ai.files.upload({
      file: new Blob([`${geminiLines}\n{"key": "broken", "request": `], { type: "application/jsonl" }),
      config: { displayName: "bad.jsonl", mimeType: "application/jsonl" },
    });
    const detail = await refused(
      () => ai.batches.create({ model: defaultModels.gemini, src: bad.name! }),
      400,
      "a broken line 3",
    );
    expect(detail.includes("Line 3"), `the error does not name line 3: ${detail}`);
    return detail;
  });
  await check("genai", "-", "a wrong key is a 401", () =>
    refused(() => genai(undefined, "AIza-wrong").batches.list(), 401, "a wrong key"),
  );

  // AWS SDKs: S3 objects under an awkward key, a model invocation job addressed by its ARN.
  const credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
  const region = options.region ?? "us-east-1";
  const withProvider = <C extends { middlewareStack: S3Client["middlewareStack"] }>(client: C, provider?: Provider) => {
    if (provider) {
      client.middlewareStack.add(
        (next) => async (args) => {
          (args.request as { headers: Record<string, string> }).headers["x-model-provider"] = provider;
          return next(args);
        },
        { step: "build", name: "modelProvider" },
      );
    }
    return client;
  };
  const s3 = (provider?: Provider, creds = credentials) =>
    withProvider(
      new S3Client({ endpoint: `${gw}/bedrock/files`, region, credentials: creds, forcePathStyle: true }),
      provider,
    );
  const bedrock = (provider?: Provider, creds = credentials) =>
    withProvider(
      new BedrockClient({ endpoint: `${gw}/bedrock`, region, credentials: creds }) as unknown as S3Client,
      provider,
    ) as unknown as BedrockClient;
  const bucket = `finops-smoke-${Date.now().toString(36)}`;
  const jobEnded = ["Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"];
  for (const provider of options.providers) {
    await check("aws", provider, "put (awkward key), job by ARN, poll, outputs", async () => {
      const lines = provider === "bedrock" ? bedrockLines() : openAiLines(options.models[provider]);
      const key = `${provider}/${awkwardKey}`;
      await s3(provider).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: lines }));
      const head = await s3(provider).send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentLength === Buffer.byteLength(lines), `HeadObject ContentLength ${head.ContentLength}`);
      const { jobArn } = await bedrock(provider).send(
        new CreateModelInvocationJobCommand({
          jobName: `smoke-${provider}-${Date.now()}`,
          modelId: options.models[provider],
          roleArn: "arn:aws:iam::000000000000:role/ignored-the-gateway-uses-its-own",
          inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${bucket}/${key}` } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${bucket}/out-${provider}/` } },
        }),
      );
      const ended = await until(
        () => bedrock(provider).send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })),
        (job) => jobEnded.includes(job.status ?? ""),
      );
      if (!ended) return { running: `${jobArn} still running` };
      expect(ended.status === "Completed", `${jobArn} ended ${ended.status}: ${ended.message}`);
      const outKey = `out-${provider}/${jobArn!.split("/").pop()}/${awkwardKey.split("/").pop()}.out`;
      const out = await s3(provider).send(new GetObjectCommand({ Bucket: bucket, Key: outKey }));
      const records = (await out.Body!.transformToString())
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { recordId: string });
      expect(
        records
          .map((r) => r.recordId)
          .sort()
          .join() === [...ids].sort().join(),
        "record ids differ",
      );
      return `${jobArn!.split("/").pop()}: ${records.length} records at ${outKey}`;
    });
  }
  await check("aws", options.providers[0] ?? "-", "stop", async () => {
    const provider = options.providers[0] ?? "bedrock";
    const key = `stop/${awkwardKey}`;
    const lines = provider === "bedrock" ? bedrockLines() : openAiLines(options.models[provider]);
    await s3(provider).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: lines }));
    const { jobArn } = await bedrock(provider).send(
      new CreateModelInvocationJobCommand({
        jobName: `smoke-stop-${Date.now()}`,
        modelId: options.models[provider],
        roleArn: "arn:aws:iam::000000000000:role/ignored",
        inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${bucket}/${key}` } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${bucket}/out-stop/` } },
      }),
    );
    await bedrock(provider).send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    const ended = await until(
      () => bedrock(provider).send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })),
      (job) => jobEnded.includes(job.status ?? ""),
    );
    if (!ended) return { running: `${jobArn} still stopping` };
    expect(ended.status === "Stopped", `${jobArn} ended ${ended.status}`);
    return `${jobArn!.split("/").pop()} stopped`;
  });
  await check("aws", "-", "bad input is a ValidationException", () =>
    refused(
      () =>
        bedrock().send(
          new CreateModelInvocationJobCommand({
            jobName: "not a valid name!",
            modelId: defaultModels.bedrock,
            roleArn: "r",
            inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${bucket}/nothing.jsonl` } },
            outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${bucket}/out/` } },
          }),
        ),
      400,
      "an invalid job name",
    ),
  );
  await check("aws", "-", "a wrong key is a 403", () =>
    refused(
      () =>
        s3(undefined, { accessKeyId: "AKIAWRONGKEY", secretAccessKey: "wrong" }).send(
          new GetObjectCommand({ Bucket: bucket, Key: "x" }),
        ),
      403,
      "a wrong access key",
    ),
  );
  await rm(dir, { recursive: true, force: true });
  return rows;
};

/** The report as a table, one row per check. */
export const formatSmoke = (rows: SmokeRow[]): string => {
  const header = ["sdk", "provider", "check", "result", "s", "detail"];
  const cells = rows.map((r) => [r.sdk, r.provider, r.check, r.result, r.seconds.toFixed(1), r.detail]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => Math.min(48, c[i]!.length))));
  const line = (c: string[]) =>
    c.map((v, i) => (i === c.length - 1 ? v : v.slice(0, widths[i]).padEnd(widths[i]!))).join("  ");
  const passed = rows.filter((r) => r.result === "pass").length;
  const running = rows.filter((r) => r.result === "running").length;
  return [
    line(header),
    ...cells.map(line),
    "",
    `${passed} passed, ${rows.length - passed - running} failed, ${running} still running`,
  ].join("\n");
};
