import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway";

type Dialect = "openai" | "anthropic" | "genai" | "bedrock" | "s3";
interface Case {
  dialect: Dialect;
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

const auth: Record<Dialect, Record<string, string>> = {
  openai: { authorization: "Bearer sk-bad-input" },
  anthropic: { "x-api-key": "sk-bad-input", "anthropic-version": "2023-06-01" },
  genai: { "x-goog-api-key": "AIza-bad-input" },
  bedrock: {
    authorization: `AWS4-HMAC-SHA256 Credential=AKIDBAD/20261122/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
  },
  s3: {
    authorization: `AWS4-HMAC-SHA256 Credential=AKIDBAD/20261122/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
  },
};
const json = { "content-type": "application/json" };
const multipart = (parts: { name: string; value: string; filename?: string }[]) => {
  const boundary = "bad-input-boundary";
  const body = `${parts.map((p) => `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ""}\r\n\r\n${p.value}\r\n`).join("")}--${boundary}--\r\n`;
  return { headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body };
};
const line = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    custom_id: id,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], ...extra },
  });
const request = (id: string, params: Record<string, unknown> = {}) => ({
  custom_id: id,
  params: { model: "claude-3-haiku", max_tokens: 10, messages: [{ role: "user", content: "x" }], ...params },
});
const job = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    jobName: "j",
    roleArn: "r",
    modelId: "m",
    inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://b/in.jsonl" } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://b/out/" } },
    ...extra,
  });
const big = Buffer.alloc(7 * 1024 * 1024, "a");

/** The catalogue: malformed JSON/JSONL, wrong types, missing fields, oversize bodies, unknown ids, bad cursors, bad ids, duplicates, unknown providers/models, traversal, unicode, content types. */
const cases: Case[] = [
  // OpenAI
  {
    dialect: "openai",
    name: "malformed JSON body",
    method: "POST",
    path: "/openai/batches",
    headers: json,
    body: "{not json",
  },
  {
    dialect: "openai",
    name: "batch body of the wrong type",
    method: "POST",
    path: "/openai/batches",
    headers: json,
    body: "[1,2,3]",
  },
  {
    dialect: "openai",
    name: "batch without endpoint",
    method: "POST",
    path: "/openai/batches",
    headers: json,
    body: JSON.stringify({ input_file_id: "file-x", completion_window: "24h" }),
  },
  {
    dialect: "openai",
    name: "completion_window other than 24h",
    method: "POST",
    path: "/openai/batches",
    headers: json,
    body: JSON.stringify({ input_file_id: "", endpoint: "/v1/chat/completions", completion_window: "48h" }),
  },
  {
    dialect: "openai",
    name: "metadata with a number value",
    method: "POST",
    path: "/openai/batches",
    headers: json,
    body: JSON.stringify({
      input_file_id: "",
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { a: 1 },
    }),
  },
  {
    dialect: "openai",
    name: "inline requests that are not objects",
    method: "POST",
    path: "/openai/batches",
    headers: json,
    body: JSON.stringify({
      input_file_id: "",
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      requests: ["x"],
    }),
  },
  {
    dialect: "openai",
    name: "inline request with an unknown provider",
    method: "POST",
    path: "/openai/batches",
    headers: json,
    body: JSON.stringify({
      input_file_id: "",
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      provider: "cohere",
      requests: [request("a")],
    }),
  },
  {
    dialect: "openai",
    name: "unknown input file id",
    method: "POST",
    path: "/openai/batches",
    headers: json,
    body: JSON.stringify({
      input_file_id: "file-zzzzzzzzzzzzzzzzzzzzzzzz",
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    }),
  },
  {
    dialect: "openai",
    name: "upload that is not multipart",
    method: "POST",
    path: "/openai/files",
    headers: json,
    body: "{}",
  },
  {
    dialect: "openai",
    name: "multipart without a file part",
    method: "POST",
    path: "/openai/files",
    ...multipart([{ name: "purpose", value: "batch" }]),
  },
  {
    dialect: "openai",
    name: "unknown purpose",
    method: "POST",
    path: "/openai/files",
    ...multipart([
      { name: "purpose", value: "training" },
      { name: "file", value: line("a"), filename: "a.jsonl" },
    ]),
  },
  {
    dialect: "openai",
    name: "batch file with a bad JSON line",
    method: "POST",
    path: "/openai/files",
    ...multipart([
      { name: "purpose", value: "batch" },
      { name: "file", value: `${line("a")}\n{oops`, filename: "a.jsonl" },
    ]),
  },
  {
    dialect: "openai",
    name: "batch file that is not UTF-8",
    method: "POST",
    path: "/openai/files",
    ...multipart([
      { name: "purpose", value: "batch" },
      { name: "file", value: "\u00ff", filename: "a.jsonl" },
    ]),
    body: Buffer.concat([
      Buffer.from(multipart([{ name: "purpose", value: "batch" }]).body.replace(/--bad-input-boundary--\r\n$/, "")),
      Buffer.from(
        '--bad-input-boundary\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n{"a":"',
      ),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\r\n--bad-input-boundary--\r\n'),
    ]),
  },
  {
    dialect: "openai",
    name: "expires_after below the minimum",
    method: "POST",
    path: "/openai/files",
    ...multipart([
      { name: "purpose", value: "batch" },
      { name: "expires_after[anchor]", value: "created_at" },
      { name: "expires_after[seconds]", value: "10" },
      { name: "file", value: line("a"), filename: "a.jsonl" },
    ]),
  },
  {
    dialect: "openai",
    name: "filename with control characters",
    method: "POST",
    path: "/openai/files",
    ...multipart([
      { name: "purpose", value: "user_data" },
      { name: "file", value: "x", filename: "a\u0007b.txt" },
    ]),
  },
  {
    dialect: "openai",
    name: "a JSON array as the body of batches.create (F30)",
    method: "POST",
    path: "/openai/batches",
    headers: json,
    body: "[]",
  },
  { dialect: "openai", name: "unknown file id", method: "GET", path: "/openai/files/file-zzzzzzzzzzzzzzzzzzzzzzzz" },
  {
    dialect: "openai",
    name: "path traversal as a file id",
    method: "GET",
    path: "/openai/files/..%2F..%2Fetc%2Fpasswd",
  },
  { dialect: "openai", name: "bad list cursor", method: "GET", path: "/openai/files?after=not-an-id" },
  { dialect: "openai", name: "list limit out of range", method: "GET", path: "/openai/batches?limit=100000" },
  {
    dialect: "openai",
    name: "unknown batch to cancel",
    method: "POST",
    path: "/openai/batches/batch_zzzzzzzzzzzzzzzzzzzzzzzz/cancel",
  },
  { dialect: "openai", name: "unknown route", method: "GET", path: "/openai/fine_tuning/jobs" },
  {
    dialect: "openai",
    name: "body over the Lambda limit",
    method: "POST",
    path: "/openai/files",
    headers: { "content-type": "application/octet-stream" },
    body: big,
  },
  // Anthropic
  {
    dialect: "anthropic",
    name: "malformed JSON body",
    method: "POST",
    path: "/anthropic/v1/messages/batches",
    headers: json,
    body: '{"requests": [',
  },
  {
    dialect: "anthropic",
    name: "requests of the wrong type",
    method: "POST",
    path: "/anthropic/v1/messages/batches",
    headers: json,
    body: JSON.stringify({ requests: "all of them" }),
  },
  {
    dialect: "anthropic",
    name: "empty request list",
    method: "POST",
    path: "/anthropic/v1/messages/batches",
    headers: json,
    body: JSON.stringify({ requests: [] }),
  },
  {
    dialect: "anthropic",
    name: "custom_id with unicode",
    method: "POST",
    path: "/anthropic/v1/messages/batches",
    headers: json,
    body: JSON.stringify({ requests: [{ ...request("a"), custom_id: "résumé" }] }),
  },
  {
    dialect: "anthropic",
    name: "custom_id longer than 64",
    method: "POST",
    path: "/anthropic/v1/messages/batches",
    headers: json,
    body: JSON.stringify({ requests: [{ ...request("a"), custom_id: "x".repeat(65) }] }),
  },
  {
    dialect: "anthropic",
    name: "duplicate custom_id",
    method: "POST",
    path: "/anthropic/v1/messages/batches",
    headers: json,
    body: JSON.stringify({ requests: [request("a"), request("a")] }),
  },
  {
    dialect: "anthropic",
    name: "missing max_tokens",
    method: "POST",
    path: "/anthropic/v1/messages/batches",
    headers: json,
    body: JSON.stringify({
      requests: [{ custom_id: "a", params: { model: "m", messages: [{ role: "user", content: "x" }] } }],
    }),
  },
  {
    dialect: "anthropic",
    name: "no messages",
    method: "POST",
    path: "/anthropic/v1/messages/batches",
    headers: json,
    body: JSON.stringify({ requests: [request("a", { messages: [] })] }),
  },
  {
    dialect: "anthropic",
    name: "unknown provider header",
    method: "POST",
    path: "/anthropic/v1/messages/batches",
    headers: { ...json, "x-model-provider": "cohere" },
    body: JSON.stringify({ requests: [request("a")] }),
  },
  {
    dialect: "anthropic",
    name: "mixed models for a one-model provider",
    method: "POST",
    path: "/anthropic/v1/messages/batches",
    headers: { ...json, "x-model-provider": "gemini" },
    body: JSON.stringify({
      requests: [request("a", { model: "gemini-1.5-flash" }), request("b", { model: "gemini-2.0-flash" })],
    }),
  },
  {
    dialect: "anthropic",
    name: "unknown batch",
    method: "GET",
    path: "/anthropic/v1/messages/batches/msgbatch_zzzzzzzzzzzzzzzzzzzzzzzz",
  },
  { dialect: "anthropic", name: "bad list cursor", method: "GET", path: "/anthropic/v1/files?after_id=file-not-ours" },
  {
    dialect: "anthropic",
    name: "results of an unknown batch",
    method: "GET",
    path: "/anthropic/v1/messages/batches/msgbatch_zzzzzzzzzzzzzzzzzzzzzzzz/results",
  },
  // GenAI
  {
    dialect: "genai",
    name: "malformed JSON body",
    method: "POST",
    path: "/genai/v1beta/models/gemini-1.5-flash:batchGenerateContent",
    headers: json,
    body: "{",
  },
  {
    dialect: "genai",
    name: "batch without inputConfig",
    method: "POST",
    path: "/genai/v1beta/models/gemini-1.5-flash:batchGenerateContent",
    headers: json,
    body: JSON.stringify({ batch: {} }),
  },
  {
    dialect: "genai",
    name: "inline request without contents",
    method: "POST",
    path: "/genai/v1beta/models/gemini-1.5-flash:batchGenerateContent",
    headers: json,
    body: JSON.stringify({ batch: { inputConfig: { requests: { requests: [{ request: {} }] } } } }),
  },
  {
    dialect: "genai",
    name: "unknown method on a model",
    method: "POST",
    path: "/genai/v1beta/models/gemini-1.5-flash:generateContent",
    headers: json,
    body: "{}",
  },
  {
    dialect: "genai",
    name: "unknown source file",
    method: "POST",
    path: "/genai/v1beta/models/gemini-1.5-flash:batchGenerateContent",
    headers: json,
    body: JSON.stringify({ batch: { inputConfig: { fileName: "files/zzzzzzzzzzzzzzzzzzzzzzzz" } } }),
  },
  {
    dialect: "genai",
    name: "upload start without a size",
    method: "POST",
    path: "/genai/upload/v1beta/files",
    headers: { ...json, "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start" },
    body: "{}",
  },
  {
    dialect: "genai",
    name: "upload larger than the limit",
    method: "POST",
    path: "/genai/upload/v1beta/files",
    headers: {
      ...json,
      "x-goog-upload-protocol": "resumable",
      "x-goog-upload-command": "start",
      "x-goog-upload-header-content-length": "9999999999",
    },
    body: "{}",
  },
  {
    dialect: "genai",
    name: "chunk for an unknown upload",
    method: "POST",
    path: "/genai/upload-sessions/zzzzzzzzzzzzzzzzzzzzzzzz",
    headers: { "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0" },
    body: "x",
  },
  { dialect: "genai", name: "bad page token", method: "GET", path: "/genai/v1beta/batches?pageToken=%F0%9F%92%A9" },
  { dialect: "genai", name: "unknown file", method: "GET", path: "/genai/v1beta/files/zzzzzzzzzzzzzzzzzzzzzzzz" },
  // Bedrock
  {
    dialect: "bedrock",
    name: "malformed JSON body",
    method: "POST",
    path: "/bedrock/model-invocation-job",
    headers: json,
    body: "{",
  },
  {
    dialect: "bedrock",
    name: "missing modelId",
    method: "POST",
    path: "/bedrock/model-invocation-job",
    headers: json,
    body: job({ modelId: undefined }),
  },
  {
    dialect: "bedrock",
    name: "timeout out of range",
    method: "POST",
    path: "/bedrock/model-invocation-job",
    headers: json,
    body: job({ timeoutDurationInHours: 12 }),
  },
  {
    dialect: "bedrock",
    name: "s3Uri that is not s3://",
    method: "POST",
    path: "/bedrock/model-invocation-job",
    headers: json,
    body: job({ inputDataConfig: { s3InputDataConfig: { s3Uri: "file:///etc/passwd" } } }),
  },
  {
    dialect: "bedrock",
    name: "unknown job",
    method: "GET",
    path: "/bedrock/model-invocation-job/arn%3Aaws%3Abedrock%3Aus-east-1%3A000000000000%3Amodel-invocation-job%2Fzzzzzzzzzzzzzzzzzzzzzzzz",
  },
  {
    dialect: "bedrock",
    name: "bad list token",
    method: "GET",
    path: "/bedrock/model-invocation-jobs?nextToken=..%2F..%2F",
  },
  {
    dialect: "bedrock",
    name: "bad statusEquals",
    method: "GET",
    path: "/bedrock/model-invocation-jobs?statusEquals=Done",
  },
  // S3
  { dialect: "s3", name: "bucket name with uppercase", method: "GET", path: "/bedrock/files/My_Bucket?list-type=2" },
  {
    dialect: "s3",
    name: "key with a .. segment",
    method: "PUT",
    path: "/bedrock/files/bucket/a/%2E%2E/%2E%2E/etc/passwd",
    body: "x",
  },
  { dialect: "s3", name: "missing key", method: "GET", path: "/bedrock/files/bucket/missing.jsonl" },
  {
    dialect: "s3",
    name: "bad continuation token",
    method: "GET",
    path: "/bedrock/files/bucket?list-type=2&continuation-token=%%%",
  },
  {
    dialect: "s3",
    name: "unsatisfiable range",
    method: "GET",
    path: "/bedrock/files/bucket/a.jsonl",
    headers: { range: "bytes=999-1000" },
  },
];

const envelopeOk = (dialect: Dialect, headers: Headers, text: string): boolean => {
  if (dialect === "s3") return /<Error><Code>\w+<\/Code><Message>/.test(text) || text === "";
  if (dialect === "bedrock") return Boolean(headers.get("x-amzn-errortype")) || /"type":"error"/.test(text);
  const body = JSON.parse(text) as {
    type?: string;
    error?: { message?: string; type?: string; code?: unknown; status?: string };
  };
  if (dialect === "openai") return typeof body.error?.message === "string" && "type" in (body.error ?? {});
  if (dialect === "anthropic") return body.type === "error" && typeof body.error?.type === "string";
  return typeof body.error?.code === "number" && typeof body.error?.message === "string";
};

describe(`bad input catalogue (${cases.length} cases over five front doors)`, () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway();
    // One object the range case can point at.
    await fetch(`${gateway.url}/bedrock/files/bucket/a.jsonl`, { method: "PUT", headers: auth.s3, body: '{"a":1}' });
  });
  afterAll(() => gateway.stop());

  it("holds at least 40 cases", () => expect(cases.length).toBeGreaterThanOrEqual(40));

  /** Sends the request byte for byte (fetch would normalise `..` segments away before they reach the gateway). */
  const send = (c: Case) =>
    new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
      const url = new URL(gateway.url);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: c.method,
          path: c.path,
          headers: { ...auth[c.dialect], ...c.headers },
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: new Headers(res.headers as Record<string, string>),
              text: Buffer.concat(chunks).toString("utf8"),
            }),
          );
        },
      );
      req.on("error", reject).on("timeout", () => req.destroy(new Error("timed out")));
      req.end(c.body);
    });

  it.each(cases)("$dialect: $name → a typed 4xx in the dialect's envelope", async (c) => {
    const response = await send(c);
    expect(response.status, response.text).toBeGreaterThanOrEqual(400);
    expect(response.status, response.text).toBeLessThan(500);
    expect(envelopeOk(c.dialect, response.headers, response.text), response.text).toBe(true);
  });
});
