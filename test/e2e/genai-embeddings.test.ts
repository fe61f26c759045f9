import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway";

/**
 * The GenAI SDK's `batches.createEmbeddings` (inline requests) on Gemini and on Bedrock's Titan: the batch reads as
 * a GenAI batch job whose `dest.inlinedEmbedContentResponses` hold one `EmbedContentResponse` a request, in order,
 * at the asked size — with auth on.
 */
describe("GenAI create_embeddings", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let apiKey: string;

  beforeAll(async () => {
    gateway = await startTestGateway({
      auth: "keys",
      simulators: { jobLatencyMs: 200 },
      runner: { pollWaitMs: 30, retryWaitMs: 20 },
    });
    apiKey = (await gateway.gateway.createCredential("genai-embeddings")).apiKey;
  });
  afterAll(() => gateway.stop());

  const clientFor = (provider: string) =>
    new GoogleGenAI({
      apiKey,
      httpOptions: { baseUrl: `${gateway.url}/genai`, headers: { "x-model-provider": provider } },
    });
  const texts = ["alpha", "beta", "gamma"];

  it.each([
    ["gemini", "gemini-embedding-001"],
    ["bedrock", "amazon.titan-embed-text-v2:0"],
  ])("runs inline embeddings on %s, answered as EmbedContentResponses in order", async (provider, model) => {
    const client = clientFor(provider);
    let job = await client.batches.createEmbeddings({
      model,
      src: {
        inlinedRequests: {
          contents: texts.map((text) => ({ parts: [{ text }] })),
          config: { outputDimensionality: 256 },
        },
      },
    });
    const ended = ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"];
    while (!ended.includes(String(job.state))) {
      await new Promise((done) => setTimeout(done, 50));
      job = await client.batches.get({ name: job.name as string });
    }
    expect(job.state).toBe("JOB_STATE_SUCCEEDED");
    const answers = job.dest?.inlinedEmbedContentResponses ?? [];
    expect(answers).toHaveLength(texts.length);
    const vectors = answers.map((answer) => answer.response?.embedding?.values ?? []);
    for (const vector of vectors) expect(vector).toHaveLength(256);
    expect(vectors[0]).not.toEqual(vectors[1]);
  });

  it("runs a file of embed requests on Bedrock, its responses file one EmbedContentResponse a line, in order", async () => {
    const client = clientFor("bedrock");
    const lines = texts.map((text, i) => JSON.stringify({ key: `k${i}`, request: { content: { parts: [{ text }] } } }));
    const file = await client.files.upload({
      file: new Blob([`${lines.join("\n")}\n`], { type: "application/jsonl" }),
      config: { mimeType: "application/jsonl" },
    });
    let job = await client.batches.createEmbeddings({
      model: "amazon.titan-embed-text-v2:0",
      src: { fileName: file.name as string },
    });
    while (!String(job.state).match(/SUCCEEDED|FAILED|CANCELLED|EXPIRED/)) {
      await new Promise((done) => setTimeout(done, 50));
      job = await client.batches.get({ name: job.name as string });
    }
    expect(job.state).toBe("JOB_STATE_SUCCEEDED");
    const response = await fetch(`${gateway.url}/genai/download/v1beta/${job.dest?.fileName}:download?alt=media`, {
      headers: { "x-goog-api-key": apiKey },
    });
    const results = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { key: string; response: { embedding: { values: number[] } } });
    expect(results.map((result) => result.key)).toEqual(["k0", "k1", "k2"]);
    for (const result of results) expect(result.response.embedding.values).toHaveLength(1024);
  });

  it("runs on Cohere Embed with the taskType as its input_type, answered in order", async () => {
    const client = clientFor("bedrock");
    let job = await client.batches.createEmbeddings({
      model: "cohere.embed-english-v3",
      src: {
        inlinedRequests: {
          contents: texts.map((text) => ({ parts: [{ text }] })),
          config: { taskType: "RETRIEVAL_DOCUMENT" },
        },
      },
    });
    while (!String(job.state).match(/SUCCEEDED|FAILED|CANCELLED|EXPIRED/)) {
      await new Promise((done) => setTimeout(done, 50));
      job = await client.batches.get({ name: job.name as string });
    }
    expect(job.state).toBe("JOB_STATE_SUCCEEDED");
    const answers = job.dest?.inlinedEmbedContentResponses ?? [];
    expect(answers.map((answer) => answer.response?.embedding?.values?.length)).toEqual([1024, 1024, 1024]);
  });

  it("refuses what Titan cannot carry by name (Gemini's taskType), and OpenAI for GenAI embeddings", async () => {
    const create = (provider: string, model: string, config: Record<string, unknown>) =>
      clientFor(provider).batches.createEmbeddings({
        model,
        src: { inlinedRequests: { contents: [{ parts: [{ text: "x" }] }], config } },
      });
    await expect(create("bedrock", "amazon.titan-embed-text-v2:0", { taskType: "RETRIEVAL_QUERY" })).rejects.toThrow(
      /Titan Text Embeddings V2 has no input_type or taskType \(search_query\)/,
    );
    await expect(create("bedrock", "amazon.titan-embed-text-v2:0", { title: "A title" })).rejects.toThrow(
      /'request.title' cannot be carried to bedrock/,
    );
    await expect(create("openai", "text-embedding-3-small", {})).rejects.toThrow(
      /GenAI embeddings batches run on gemini or bedrock/,
    );
  });
});
