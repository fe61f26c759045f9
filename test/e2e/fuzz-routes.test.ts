import { Sha256 } from "@aws-crypto/sha256-js";
import { GetObjectCommand, ListObjectsV2Command, NoSuchBucket, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SignatureV4 } from "@smithy/signature-v4";
import fc from "fast-check";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCredential } from "../../lambdas/core/credentials";
import { chatLines, waitForBatch } from "../support/batches";
import { startTestGateway } from "../support/gateway";
import { type DeclaredRoute, everyRoute } from "../support/routes";

/**
 * Issue 23's fuzz suite: every route of every dialect, driven with malformed and hostile requests by a credential
 * of its own (auth on). Each answer is below 500 and, when refused, in the dialect's own error format; afterwards
 * another tenant's objects are as they were, and everything the fuzzing credential can list can be read whole.
 */

/** Field names the dialects read, so generated bodies reach past the first check into the parsers. */
const fieldNames = [
  "input_file_id",
  "endpoint",
  "completion_window",
  "metadata",
  "provider",
  "model",
  "requests",
  "custom_id",
  "params",
  "messages",
  "max_tokens",
  "body",
  "method",
  "url",
  "batch",
  "inputConfig",
  "fileName",
  "displayName",
  "file",
  "mimeType",
  "sizeBytes",
  "jobName",
  "modelId",
  "roleArn",
  "inputDataConfig",
  "outputDataConfig",
  "s3InputDataConfig",
  "s3OutputDataConfig",
  "s3Uri",
  "tags",
  "clientRequestToken",
  "purpose",
  "bytes",
  "filename",
  "mime_type",
  "part_ids",
  "contents",
  "generationConfig",
  "key",
  "request",
  "__proto__",
  "constructor",
];
/** Hostile strings short enough for a URL (CloudFront refuses a URL over 8,192 bytes before the gateway sees it). */
const urlString = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "",
    "\u0000",
    "\r\nx-injected: 1",
    "../../etc/passwd",
    "%00",
    "\uDFFF",
    "\u{10FFFF}",
    "a".repeat(1_000),
  ),
  fc.constantFrom("file-zzzzzzzzzzzzzzzzzzzzzzzz", "batch_zzzzzzzzzzzzzzzzzzzzzzzz", "s3://victim-bucket/v.jsonl"),
);
/** In bodies, also strings far over every field's limit. */
const nastyString = fc.oneof(urlString, fc.constant("a".repeat(70_000)));
const nastyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    nastyString,
    fc.constantFrom(null, true, -1, 0, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...fieldNames), tie("value"), { maxKeys: 4 }),
  ),
})).value;
/** Bodies: near-valid objects of known fields, any JSON, truncated JSON, deep nesting, text, bytes, nothing. */
const body = fc.oneof(
  fc.dictionary(fc.constantFrom(...fieldNames), nastyValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.tuple(fc.dictionary(fc.constantFrom(...fieldNames), nastyValue, { maxKeys: 4 }), fc.nat()).map(([o, cut]) => {
    const text = JSON.stringify(o);
    return text.slice(0, cut % Math.max(1, text.length));
  }),
  fc.constantFrom("[".repeat(20_000), '{"a":'.repeat(5_000), "<Complete", "\u0000\u0001", "{}", ""),
  fc.string(),
  fc.uint8Array({ maxLength: 256 }),
);
const queryNames = [
  "limit",
  "after",
  "before_id",
  "after_id",
  "pageSize",
  "pageToken",
  "prefix",
  "delimiter",
  "max-keys",
  "continuation-token",
  "start-after",
  "list-type",
  "uploadId",
  "partNumber",
  "uploads",
  "delete",
  "maxResults",
  "nextToken",
  "statusEquals",
  "from",
  "to",
  "group_by",
  "alt",
  "upload_id",
  "upload_protocol",
  "__proto__[x]",
];
const query = fc.dictionary(fc.constantFrom(...queryNames), urlString, { maxKeys: 3 });
const contentType = fc.constantFrom(
  "application/json",
  "text/plain",
  "multipart/form-data; boundary=zz",
  "application/xml",
  "application/x-www-form-urlencoded",
  "application/json; charset=utf-16",
  undefined,
);
const gatewayCommands = fc.constantFrom(
  undefined,
  "start",
  "upload",
  "upload, finalize",
  "finalize",
  "query",
  "cancel",
);

/**
 * An S3 key as a path, each segment encoded. `fetch` resolves a `.` or `..` segment (even as `%2E%2E`) before it
 * sends, so those become `x.` and `x..`: the request reaches the route rather than another path.
 */
const keyPath = (key: string) =>
  key
    .split("/")
    .map((segment) => encodeURIComponent(/^\.{1,2}$/.test(segment) ? `x${segment}` : segment))
    .join("/");

describe("every route of every dialect, fuzzed (auth on)", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let attacker: NewCredential;
  let victim: NewCredential;
  /** The victim's objects, named in every form a route takes. */
  const victimIds: string[] = [];
  const s3For = (credential: NewCredential) =>
    new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-east-1",
      credentials: { accessKeyId: credential.record.accessKeyId, secretAccessKey: credential.secretAccessKey },
      forcePathStyle: true,
    });
  const openaiFor = (credential: NewCredential) =>
    new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: credential.apiKey, maxRetries: 0 });

  /** Every list the victim's credential has, as its SDKs see them. */
  const victimView = async () => {
    const openai = openaiFor(victim);
    const get = async (path: string, headers: Record<string, string>) =>
      (await fetch(`${gateway.url}${path}`, { headers })).json();
    const objects = await s3For(victim).send(new ListObjectsV2Command({ Bucket: "victim-bucket" }));
    return {
      files: (await openai.files.list()).data,
      batches: (await openai.batches.list()).data,
      anthropic: await get("/anthropic/v1/messages/batches", { "x-api-key": victim.apiKey }),
      genai: await get("/genai/v1beta/files", { "x-goog-api-key": victim.apiKey }),
      objects: (objects.Contents ?? []).map(({ Key, ETag, Size }) => ({ Key, ETag, Size })),
      object: await (
        await s3For(victim).send(new GetObjectCommand({ Bucket: "victim-bucket", Key: "v.jsonl" }))
      ).Body!.transformToString(),
    };
  };

  beforeAll(async () => {
    gateway = await startTestGateway({ auth: "keys", simulators: { jobLatencyMs: 50 }, runner: { pollWaitMs: 20 } });
    attacker = await gateway.gateway.createCredential("attacker");
    victim = await gateway.gateway.createCredential("victim");
    const openai = openaiFor(victim);
    const file = await openai.files.create({
      file: await toFile(Buffer.from(chatLines("gpt-4o-mini", ["victim prompt"])), "v.jsonl"),
      purpose: "batch",
    });
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    await waitForBatch(openai, batch.id);
    await s3For(victim).send(new PutObjectCommand({ Bucket: "victim-bucket", Key: "v.jsonl", Body: "victim object" }));
    const bare = (id: string) => id.replace(/^(file-|batch_|msgbatch_|files\/|batches\/)/, "");
    victimIds.push(
      file.id,
      batch.id,
      bare(file.id),
      bare(batch.id),
      `msgbatch_${bare(batch.id)}`,
      "victim-bucket/v.jsonl",
    );
  }, 60_000);
  afterAll(() => gateway.stop());

  /** A request to a route with the generated parts, authenticated as the attacker in the route's own way. */
  const send = async (
    route: DeclaredRoute,
    method: string,
    generated: string,
    search: Record<string, string>,
    payload: string | Uint8Array,
    type: string | undefined,
    command: string | undefined,
  ) => {
    // A URL holds no lone surrogate (an SDK would not send one): well-formed, the rest of the string stays hostile.
    const segment = generated.replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      "\uFFFD",
    );
    const path = route.path
      .replace("{proxy+}", segment.includes("/") ? keyPath(segment) : `fuzz-bucket/${encodeURIComponent(segment)}`)
      .replace(/\{[^}]+\}/g, keyPath(segment).replaceAll("/", "%2F") || "x");
    const url = new URL(`${gateway.url}${path}`);
    for (const [name, value] of Object.entries(search)) url.searchParams.set(name, value);
    const withBody = method !== "GET" && method !== "HEAD" && method !== "DELETE";
    const bytes = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
    const headers: Record<string, string> = {};
    if (type) headers["content-type"] = type;
    if (command) headers["x-goog-upload-command"] = command;
    if (route.mount.startsWith("bedrock")) {
      const service = route.mount === "bedrock/files" ? "s3" : "bedrock";
      const signer = new SignatureV4({
        credentials: { accessKeyId: attacker.record.accessKeyId, secretAccessKey: attacker.secretAccessKey },
        region: "us-east-1",
        service,
        sha256: Sha256,
        uriEscapePath: service !== "s3",
      });
      const hash = new Sha256();
      hash.update(withBody ? bytes : Buffer.alloc(0));
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: {
          ...headers,
          host: url.host,
          "x-amz-content-sha256": Buffer.from(await hash.digest()).toString("hex"),
        },
      });
      const { host: _host, ...sent } = signed.headers;
      Object.assign(headers, sent);
    } else {
      headers.authorization = `Bearer ${attacker.apiKey}`;
      headers["x-api-key"] = attacker.apiKey;
      headers["x-goog-api-key"] = attacker.apiKey;
    }
    const response = await fetch(url, { method, headers, ...(withBody ? { body: bytes } : {}) });
    return {
      response,
      text: method === "HEAD" ? "" : await response.text(),
      path: `${method} ${url.pathname}${url.search}`,
    };
  };

  /** A refusal in the dialect's own error format, as its SDK parses it. */
  const inDialectFormat = (route: DeclaredRoute, response: Response, text: string): boolean => {
    if (text === "") return response.status === 404 || route.mount === "bedrock/files"; // HEAD, or a bodiless S3 answer
    if (route.mount === "bedrock/files") return /<Error>\s*<Code>[A-Za-z]+<\/Code>/.test(text);
    const json = (() => {
      try {
        return JSON.parse(text) as Record<string, unknown> & { error?: Record<string, unknown> };
      } catch {
        return undefined;
      }
    })();
    if (!json) return false;
    switch (route.mount) {
      case "openai":
      case "finops":
        return typeof json.error?.message === "string";
      case "anthropic":
        return json.type === "error" && typeof json.error?.type === "string" && typeof json.error?.message === "string";
      case "genai":
      case "genai/upload":
        return typeof json.error?.code === "number" && typeof json.error?.message === "string";
      case "bedrock":
        return response.headers.has("x-amzn-errortype") && typeof json.message === "string";
      default:
        return false;
    }
  };

  it("answers malformed and hostile requests below 500, in each dialect's format, harming no one", async () => {
    const routes = everyRoute().flatMap((route) =>
      route.path.endsWith("{proxy+}")
        ? ["GET", "PUT", "POST", "DELETE", "HEAD"].map((method) => ({ ...route, method }))
        : [route],
    );
    const before = await victimView();
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: routes.length - 1 }),
        fc.oneof(fc.constantFrom(...victimIds), urlString),
        query,
        body,
        contentType,
        gatewayCommands,
        async (index, param, search, payload, type, command) => {
          const route = routes[index]!;
          const { response, text, path } = await send(route, route.method, param, search, payload, type, command);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const wrong =
            response.status >= 500
              ? "a 5xx"
              : response.status >= 400 && !inDialectFormat(route, response, text)
                ? "not in the dialect's format"
                : undefined;
          if (wrong) failures.push(`${wrong}: ${response.status} ${path.slice(0, 160)} → ${text.slice(0, 240)}`);
        },
      ),
      // Every case runs (a failure is recorded, not shrunk), so one run lists every kind of wrong answer.
      { numRuns: 1500, seed: 2026_12_03 },
    );
    expect(failures.slice(0, 40)).toEqual([]);
    // Most answers are refusals, but some requests were valid enough to be served: the parsers were reached.
    expect([...statuses.keys()].some((status) => status < 300)).toBe(true);
    expect(statuses.has(400) && statuses.has(404)).toBe(true);

    // No other tenant's object changed.
    expect(await victimView()).toEqual(before);
    // Nothing half-written: whatever the fuzzing credential can list, it can read whole.
    const openai = openaiFor(attacker);
    for (const file of (await openai.files.list()).data) expect((await openai.files.content(file.id)).status).toBe(200);
    for (const batch of (await openai.batches.list()).data)
      expect((await openai.batches.retrieve(batch.id)).id).toBe(batch.id);
    const s3 = s3For(attacker);
    for (const bucket of ["fuzz-bucket", "victim-bucket"]) {
      // A bucket no fuzzed request happened to write to does not exist: nothing in it to be half-written.
      const listed = await s3
        .send(new ListObjectsV2Command({ Bucket: bucket }))
        .catch((error: unknown) => (error instanceof NoSuchBucket ? { Contents: [] } : Promise.reject(error)));
      for (const object of listed.Contents ?? []) {
        const read = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key })).catch((e) => {
          throw new Error(`${JSON.stringify(object.Key)}: ${e}`);
        });
        expect((await read.Body!.transformToByteArray()).byteLength).toBe(object.Size);
      }
    }
    const genai = await (
      await fetch(`${gateway.url}/genai/v1beta/files`, { headers: { "x-goog-api-key": attacker.apiKey } })
    ).json();
    for (const file of (genai as { files?: { name: string }[] }).files ?? []) {
      const read = await fetch(`${gateway.url}/genai/v1beta/${file.name}`, {
        headers: { "x-goog-api-key": attacker.apiKey },
      });
      expect(read.status).toBe(200);
    }
  }, 240_000);
});
