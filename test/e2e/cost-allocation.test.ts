import Anthropic from "@anthropic-ai/sdk";
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  ListTagsForResourceCommand,
} from "@aws-sdk/client-bedrock";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModels } from "../../local/default-models";
import { chatLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startKeysGateway, type startTestGateway } from "../support/gateway";

/**
 * Cost allocation tags (issue 28): a credential's tags (`npm run keys -- tags`) and a batch's own — OpenAI metadata,
 * the x-finops-tags header for the Anthropic and GenAI SDKs, a Bedrock job's tags — reach each batch's cost, the
 * costs grouped by a tag, and the tags of the Bedrock job the gateway creates upstream. Auth is on.
 */
describe("cost allocation tags", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let key: string;
  let access: { accessKeyId: string; secretAccessKey: string };
  const finops = async (path: string) => {
    const response = await fetch(`${gateway.url}/finops${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const started = await startKeysGateway("team-a", 3);
    ({ gateway, key, access } = started);
    const credential = started.credential;
    await gateway.gateway.tags.set(credential.record.tenant, { team: "search", "cost-centre": "4410" });
  });
  afterAll(() => gateway.stop());

  const tagsOf = async (id: string) => (await finops(`/v1/batches/${encodeURIComponent(id)}`)).body.tags;

  it("takes the credential's tags, with each SDK's batch tags over them, and groups costs by a tag", async () => {
    const openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: key, maxRetries: 0 });
    const file = await uploadBatchInput(openai, chatLines(defaultModels.openai, ["one", "two"]), "openai");
    const created = await openai.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { project: "atlas", finops_retry: "1" },
    });
    expect((await waitForBatch(openai, created.id)).status).toBe("completed");
    expect(await tagsOf(created.id)).toEqual({ team: "search", "cost-centre": "4410", project: "atlas" });

    const anthropic = new Anthropic({
      baseURL: `${gateway.url}/anthropic`,
      apiKey: key,
      maxRetries: 0,
      defaultHeaders: { "x-finops-tags": "team=ads,project=beacon" },
    });
    const message = (content: string) => ({
      custom_id: content,
      params: { model: defaultModels.anthropic, max_tokens: 32, messages: [{ role: "user" as const, content }] },
    });
    let batch = await anthropic.messages.batches.create({ requests: [message("a"), message("b")] });
    while (batch.processing_status !== "ended") {
      await new Promise((resolve) => setTimeout(resolve, 50));
      batch = await anthropic.messages.batches.retrieve(batch.id);
    }
    expect(await tagsOf(batch.id)).toEqual({ team: "ads", "cost-centre": "4410", project: "beacon" });

    const ai = new GoogleGenAI({
      apiKey: key,
      httpOptions: { baseUrl: `${gateway.url}/genai`, headers: { "x-finops-tags": "project=atlas" } },
    });
    let job = await ai.batches.create({
      model: defaultModels.gemini,
      src: [{ contents: [{ role: "user", parts: [{ text: "hi" }] }] }],
    });
    while (job.state !== "JOB_STATE_SUCCEEDED") {
      await new Promise((resolve) => setTimeout(resolve, 50));
      job = await ai.batches.get({ name: job.name! });
    }
    expect(await tagsOf(job.name!)).toEqual({ team: "search", "cost-centre": "4410", project: "atlas" });

    // Costs by team, and by project; a batch without the tag would be "(untagged)".
    const byTeam = (await finops("/v1/costs?group_by=tag:team")).body.data as { group: string; batches: number }[];
    expect(byTeam.map((g) => [g.group, g.batches])).toEqual([
      ["ads", 1],
      ["search", 2],
    ]);
    const byProject = (await finops("/v1/costs?group_by=tag:project")).body.data as { group: string; cost: number }[];
    expect(byProject.map((g) => g.group)).toEqual(["atlas", "beacon"]);
    expect(byProject.every((g) => g.cost > 0)).toBe(true);
  });

  it("puts a Bedrock job's tags on the job it runs as upstream, but not the gateway's own settings", async () => {
    const s3 = new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-east-1",
      credentials: access,
      forcePathStyle: true,
    });
    const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials: access });
    const records = ["x", "y", "z"].map((text, i) => ({
      recordId: `R${i}`,
      modelInput: { messages: [{ role: "user", content: [{ text }] }] },
    }));
    await s3.send(
      new PutObjectCommand({
        Bucket: "tagged",
        Key: "in.jsonl",
        Body: records.map((r) => JSON.stringify(r)).join("\n"),
      }),
    );
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: "tagged",
        modelId: defaultModels.bedrock,
        roleArn: "arn:aws:iam::123456789012:role/any",
        inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://tagged/in.jsonl" } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://tagged/out/" } },
        tags: [
          { key: "project", value: "atlas" },
          { key: "finops_retry", value: "1" },
        ],
      }),
    );
    for (;;) {
      const job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
      if (job.status === "Completed") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const expected = { team: "search", "cost-centre": "4410", project: "atlas" };
    expect(await tagsOf(jobArn!)).toEqual(expected);
    // The simulated Bedrock's own record of the job the gateway created for it.
    const upstream = new BedrockClient({
      endpoint: gateway.gateway.simulators.bedrock.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const batchId = jobArn!.slice(jobArn!.lastIndexOf("/") + 1);
    const { invocationJobSummaries } = await upstream.send(new ListModelInvocationJobsCommand({}));
    const made = invocationJobSummaries?.find((summary) => summary.jobName === `finops-${batchId}`);
    const { tags } = await upstream.send(new ListTagsForResourceCommand({ resourceARN: made!.jobArn }));
    expect(Object.fromEntries((tags ?? []).map((tag) => [tag.key, tag.value]))).toEqual(expected);
  });

  it("refuses a tag AWS could not keep, by name, in the caller's SDK", async () => {
    const openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: key, maxRetries: 0 });
    const file = await uploadBatchInput(openai, chatLines(defaultModels.openai, ["x"]), "openai");
    await expect(
      openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        metadata: { "team#1": "x" },
      }),
    ).rejects.toThrow(/metadata: tag "team#1" cannot be kept: keys and values hold letters, digits, spaces/);
    const anthropic = new Anthropic({
      baseURL: `${gateway.url}/anthropic`,
      apiKey: key,
      maxRetries: 0,
      defaultHeaders: { "x-finops-tags": "team" },
    });
    await expect(
      anthropic.messages.batches.create({
        requests: [{ custom_id: "a", params: { model: defaultModels.anthropic, max_tokens: 8, messages: [] } }],
      }),
    ).rejects.toMatchObject({
      status: 400,
      error: { error: { message: 'x-finops-tags: "team" is not key=value (team=search,project=atlas).' } },
    });
  });

  it("reports this month's costs when no dates are given", async () => {
    const { status, body } = await finops("/v1/costs");
    expect(status).toBe(200);
    expect(body.from).toBe(`${new Date().toISOString().slice(0, 7)}-01`);
    expect((body.data as unknown[]).length).toBeGreaterThan(0);
  });
});
