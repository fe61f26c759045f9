import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchEndpoints } from "../../lambdas/core/endpoints";
import { waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";

/** The parts of the answers' bodies the tests read. */
interface Answer {
  object?: string;
  model?: string;
  status?: string;
  data: { embedding: number[] | string; index?: number; b64_json?: string }[];
  output: { content: { text: string }[] }[];
  results?: unknown[];
}

/**
 * The OpenAI Batch API's other endpoints — embeddings, Responses, completions, moderations, images — run on OpenAI
 * through the OpenAI SDK, their lines sent as uploaded and their answers read back as OpenAI gives them, priced from
 * the usage they report; asked of another provider, a 400 naming where they run.
 */
describe("OpenAI endpoints other than chat", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let client: OpenAI;

  beforeAll(async () => {
    gateway = await startTestGateway({
      auth: "keys",
      simulators: { jobLatencyMs: 200 },
      runner: { pollWaitMs: 30, retryWaitMs: 20 },
    });
    const credential = await gateway.gateway.createCredential("endpoints");
    client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: credential.apiKey, maxRetries: 0 });
  });
  afterAll(() => gateway.stop());

  const upload = async (endpoint: string, bodies: Record<string, unknown>[]) => {
    const lines = bodies.map((body, i) => JSON.stringify({ custom_id: `r${i}`, method: "POST", url: endpoint, body }));
    return client.files.create({
      file: await toFile(Buffer.from(`${lines.join("\n")}\n`), "in.jsonl", { type: "application/jsonl" }),
      purpose: "batch",
    });
  };
  const run = async (endpoint: string, bodies: Record<string, unknown>[]) => {
    const file = await upload(endpoint, bodies);
    let batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: endpoint as "/v1/embeddings",
      completion_window: "24h",
    });
    batch = await waitForBatch(client, batch.id);
    expect(batch.status, JSON.stringify(batch.errors)).toBe("completed");
    const text = await (await client.files.content(batch.output_file_id as string)).text();
    const lines = text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { custom_id: string; response: { status_code: number; body: Answer } });
    return { batch, bodies: Object.fromEntries(lines.map((line) => [line.custom_id, line.response.body])) };
  };

  it("runs an embeddings batch: the asked dimensions and encodings, the same text the same vector, priced", async () => {
    const { batch, bodies } = await run("/v1/embeddings", [
      { model: "text-embedding-3-small", input: ["alpha", "beta"], dimensions: 256 },
      { model: "text-embedding-3-small", input: "alpha", dimensions: 256, encoding_format: "base64" },
      { model: "text-embedding-3-small", input: "gamma" },
    ]);
    const [alpha = [], beta] = bodies.r0!.data.map((item) => item.embedding as number[]);
    expect(bodies.r0).toMatchObject({ object: "list", model: "text-embedding-3-small" });
    expect(alpha).toHaveLength(256);
    expect(beta).not.toEqual(alpha);
    const decoded = new Float32Array(
      Uint8Array.from(Buffer.from(bodies.r1!.data[0]!.embedding as string, "base64")).buffer,
    );
    expect(decoded).toHaveLength(256);
    expect(Math.abs((decoded[0] ?? 0) - (alpha[0] ?? 1))).toBeLessThan(1e-6);
    expect(bodies.r2!.data[0]!.embedding).toHaveLength(1536);
    expect(batch.request_counts).toMatchObject({ total: 3, completed: 3, failed: 0 });
    expect(batch.usage?.input_tokens).toBeGreaterThan(0);
    expect(batch.usage?.output_tokens).toBe(0);
    expect(Number(batch.metadata?.finops_cost_usd)).toBeGreaterThan(0);
  });

  it.each([
    ["on demand (under Bedrock's 100-record minimum)", 3],
    ["as a model invocation job", 60],
  ])("runs an embeddings batch on Bedrock's Titan %s, answered as OpenAI embedding responses", async (_, lines) => {
    const bodies = Array.from({ length: lines }, (_, i) => ({
      model: "amazon.titan-embed-text-v2:0",
      input: [`text ${i}`, `more ${i}`],
      dimensions: 256,
      ...(i === 1 && { encoding_format: "base64" }),
    }));
    const file = await upload("/v1/embeddings", bodies);
    let batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/embeddings",
      completion_window: "24h",
      // @ts-expect-error the gateway's extra body field
      provider: "bedrock",
    });
    batch = await waitForBatch(client, batch.id);
    expect(batch.status, JSON.stringify(batch.errors)).toBe("completed");
    expect(batch.metadata?.finops_execution).toBe(lines < 50 ? "on_demand" : undefined);
    const text = await (await client.files.content(batch.output_file_id as string)).text();
    const results = text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(results.map((r: { custom_id: string }) => r.custom_id)).toEqual(bodies.map((_, i) => `r${i}`));
    const [first, second] = results.map((r: { response: { body: Answer } }) => r.response.body);
    expect(first).toMatchObject({ object: "list", model: "amazon.titan-embed-text-v2:0" });
    const [a = [], b = []] = first!.data.map((item: Answer["data"][number]) => item.embedding as number[]);
    expect(a).toHaveLength(256);
    expect(b).not.toEqual(a);
    // The line that asked for base64 gets its vectors as little-endian float32s, as OpenAI encodes them.
    const decoded = new Float32Array(
      Uint8Array.from(Buffer.from(second!.data[0]!.embedding as string, "base64")).buffer,
    );
    expect(decoded).toHaveLength(256);
    expect(batch.request_counts).toMatchObject({ total: lines, completed: lines, failed: 0 });
    expect(batch.usage?.input_tokens).toBeGreaterThan(0);
  });

  it.each([
    ["openai", "text-embedding-3-small"],
    ["bedrock", "amazon.titan-embed-text-v2:0"],
    ["gemini", "gemini-embedding-001"],
  ])(
    "runs 10,000 inputs on %s, each read back once, in order, at the asked size",
    async (provider, model) => {
      const bodies = Array.from({ length: 100 }, (_, line) => ({
        model,
        input: Array.from({ length: 100 }, (_, i) => `line ${line} text ${i}`),
        dimensions: 256,
        encoding_format: "base64",
      }));
      const file = await upload("/v1/embeddings", bodies);
      let batch = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/embeddings",
        completion_window: "24h",
        // @ts-expect-error the gateway's extra body field
        provider,
      });
      batch = await waitForBatch(client, batch.id);
      expect(batch.status, JSON.stringify(batch.errors)).toBe("completed");
      const text = await (await client.files.content(batch.output_file_id as string)).text();
      const results = text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(results.map((r: { custom_id: string }) => r.custom_id)).toEqual(bodies.map((_, i) => `r${i}`));
      for (const { response } of results as { response: { body: Answer } }[]) {
        expect(response.body.data.map((item) => item.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
        for (const item of response.body.data)
          expect(Buffer.from(item.embedding as string, "base64")).toHaveLength(1024);
      }
    },
    120_000,
  );

  it("refuses on Bedrock what Titan cannot run, by line and field; on Anthropic, naming where embeddings run", async () => {
    const create = async (body: Record<string, unknown>, provider: string) =>
      client.batches.create({
        input_file_id: (await upload("/v1/embeddings", [body])).id,
        endpoint: "/v1/embeddings",
        completion_window: "24h",
        // @ts-expect-error the gateway's extra body field
        provider,
      });
    const titan = { model: "amazon.titan-embed-text-v2:0", input: "x" };
    await expect(create({ ...titan, dimensions: 300 }, "bedrock")).rejects.toThrow(
      /Line 1: Titan Text Embeddings V2 gives vectors of 256, 512, 1024 dimensions, not 300/,
    );
    await expect(create({ ...titan, user: "u1" }, "bedrock")).rejects.toThrow(
      /Line 1: 'body.user' cannot be carried to bedrock/,
    );
    await expect(create({ ...titan, input: [1, 2, 3] }, "bedrock")).rejects.toThrow(/token arrays are OpenAI's tokens/);
    await expect(create({ ...titan, model: "cohere.embed-english-v3" }, "bedrock")).rejects.toThrow(
      /Line 1: Cohere Embed needs to know what the vectors are for \(input_type/,
    );
    await expect(create({ ...titan, model: "amazon.titan-embed-text-v1" }, "bedrock")).rejects.toThrow(
      /bedrock runs embeddings on Titan Text Embeddings V2 .* or Cohere Embed/,
    );
    await expect(create({ model: "text-embedding-3-small", input: "x" }, "anthropic")).rejects.toThrow(
      /run on openai \(as uploaded\), gemini or bedrock .*Anthropic has no embeddings model/,
    );
    await expect(create({ model: "gemini-embedding-001", input: "x", dimensions: 4096 }, "gemini")).rejects.toThrow(
      /Line 1: Gemini gives vectors of at most 3072 dimensions, not 4096/,
    );
    await expect(create({ model: "gemini-2.5-flash", input: "x" }, "gemini")).rejects.toThrow(
      /gemini runs \/v1\/embeddings batches on Gemini's embedding models/,
    );
  });

  it("runs Responses, completions, moderations and image batches, answers as OpenAI gives them", async () => {
    const responses = await run("/v1/responses", [
      { model: "gpt-4.1-mini", input: "Say hi", text: { format: { type: "text" } }, max_output_tokens: 50 },
    ]);
    expect(responses.bodies.r0).toMatchObject({ object: "response", status: "completed" });
    expect(responses.bodies.r0?.output[0]?.content[0]?.text).toBe("Simulated reply to: Say hi");
    expect(responses.batch.usage?.output_tokens).toBeGreaterThan(0);
    const completions = await run("/v1/completions", [{ model: "gpt-3.5-turbo-instruct", prompt: "Say hi" }]);
    expect(completions.bodies.r0!.object).toBe("text_completion");
    const moderations = await run("/v1/moderations", [{ model: "omni-moderation-latest", input: ["a", "b"] }]);
    expect(moderations.bodies.r0!.results).toHaveLength(2);
    const images = await run("/v1/images/generations", [{ model: "gpt-image-1", prompt: "a cat" }]);
    expect(images.bodies.r0?.data[0]?.b64_json).toBeTypeOf("string");
  });

  const responsesLine = {
    model: "",
    instructions: "Answer as JSON.",
    input: [{ role: "user", content: [{ type: "input_text", text: "Name a colour." }] }],
    text: {
      format: {
        type: "json_schema",
        name: "colour",
        strict: true,
        schema: { type: "object", properties: { colour: { type: "string" } }, required: ["colour"] },
      },
    },
    max_output_tokens: 200,
  };
  const models = { anthropic: "claude-haiku-4-5", bedrock: "amazon.nova-micro-v1:0", gemini: "gemini-2.5-flash" };

  it.each(Object.entries(models))(
    "converts a Responses batch with a JSON-schema output to %s: response objects whose text is the JSON",
    async (provider, model) => {
      const file = await upload("/v1/responses", [{ ...responsesLine, model }]);
      let batch = await client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/responses",
        completion_window: "24h",
        // @ts-expect-error the gateway's extra body field
        provider,
      });
      batch = await waitForBatch(client, batch.id);
      expect(batch.status, JSON.stringify(batch.errors)).toBe("completed");
      const [line] = (await (await client.files.content(batch.output_file_id as string)).text()).trim().split("\n");
      const body = JSON.parse(line as string).response.body;
      expect(body).toMatchObject({ object: "response", status: "completed", model: expect.any(String) });
      const message = body.output.find((item: { type: string }) => item.type === "message");
      expect(JSON.parse(message.content[0].text)).toEqual({ colour: expect.any(String) });
      expect(body.usage.input_tokens).toBeGreaterThan(0);
      expect(body.usage.total_tokens).toBe(body.usage.input_tokens + body.usage.output_tokens);
    },
  );

  it("refuses by name what a Responses line holds that only OpenAI runs, and runs it on OpenAI as written", async () => {
    const hosted = { model: "gpt-4.1-mini", input: "News?", tools: [{ type: "web_search" }] };
    const create = async (body: Record<string, unknown>, provider: string) =>
      client.batches.create({
        input_file_id: (await upload("/v1/responses", [body])).id,
        endpoint: "/v1/responses",
        completion_window: "24h",
        // @ts-expect-error the gateway's extra body field
        provider,
      });
    await expect(create({ ...hosted, model: "claude-haiku-4-5" }, "anthropic")).rejects.toThrow(
      /Line 1: 'body.tools.0.type' cannot be carried to anthropic/,
    );
    const file = { type: "input_file", file_id: "file-abc" };
    await expect(
      create({ model: "gemini-2.5-flash", input: [{ role: "user", content: [file] }] }, "gemini"),
    ).rejects.toThrow(/Line 1: 'body.input.0.*' cannot be carried to gemini/);
    expect((await create(hosted, "openai")).status).toBe("validating");
  });

  it("honours output_expires_after on the output and error files, and names a bad one or an unknown field", async () => {
    const file = await upload("/v1/embeddings", [{ model: "text-embedding-3-small", input: "x" }]);
    const create = (extra: Record<string, unknown>) =>
      client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/embeddings",
        completion_window: "24h",
        ...extra,
      } as Parameters<typeof client.batches.create>[0]);
    const created = await create({ output_expires_after: { anchor: "created_at", seconds: 7200 } });
    const batch = await waitForBatch(client, created.id);
    expect(batch.status).toBe("completed");
    const output = await client.files.retrieve(batch.output_file_id as string);
    expect((output.expires_at ?? 0) - output.created_at).toBe(7200);
    await expect(create({ output_expires_after: { anchor: "created_at", seconds: 60 } })).rejects.toThrow(
      "output_expires_after.seconds is at least 3600 (an hour)",
    );
    const unknown = create({ priority: "high" });
    await expect(unknown).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(unknown).rejects.toThrow(/priority/);
  });

  it("refuses another provider, naming where the endpoint runs, and creates nothing", async () => {
    const file = await upload("/v1/moderations", [{ model: "omni-moderation-latest", input: "x" }]);
    const before = (await client.batches.list()).data.length;
    const refused = client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/moderations" as "/v1/embeddings",
      completion_window: "24h",
      // @ts-expect-error the gateway's extra body field
      provider: "anthropic",
    });
    await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(refused).rejects.toThrow(/\/v1\/moderations batches run on openai.*provider openai/);
    expect((await client.batches.list()).data.length).toBe(before);
  });

  it("refuses an endpoint OpenAI's Batch API does not take, listing those it does", async () => {
    const file = await upload("/v1/audio/speech", [{ model: "tts-1", input: "x" }]);
    const refused = client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/audio/speech" as "/v1/embeddings",
      completion_window: "24h",
    });
    await expect(refused).rejects.toThrow(`a batch targets one of ${batchEndpoints.join(", ")}`);
  });

  it("refuses a line of another format, and more than 50,000 embedding inputs, naming the line", async () => {
    const mixed = await client.files.create({
      file: await toFile(
        Buffer.from(
          `${JSON.stringify({ custom_id: "a", method: "POST", url: "/v1/embeddings", body: { model: "text-embedding-3-small", input: "x" } })}\n` +
            `${JSON.stringify({ custom_id: "b", params: { model: "claude-haiku-4-5", max_tokens: 5, messages: [{ role: "user", content: "x" }] } })}\n`,
        ),
        "mixed.jsonl",
      ),
      purpose: "batch",
    });
    const create = (input_file_id: string) =>
      client.batches.create({ input_file_id, endpoint: "/v1/embeddings", completion_window: "24h" });
    await expect(create(mixed.id)).rejects.toThrow(
      "Line 2: the request targets /v1/chat/completions but the batch's endpoint is /v1/embeddings.",
    );
    const many = await upload("/v1/embeddings", [
      { model: "text-embedding-3-small", input: Array.from({ length: 30_000 }, () => "a") },
      { model: "text-embedding-3-small", input: Array.from({ length: 30_000 }, () => "b") },
    ]);
    await expect(create(many.id)).rejects.toThrow(/Line 2: the batch holds more than 50000 embedding inputs/);
  });
});
