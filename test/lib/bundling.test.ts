import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildOptions, build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lambdaBuildOptions, literalSchemaKeys } from "../../lib/bundling";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "finops-bundling-"));

/** A Lambda-like module that reads one object through the bundled S3 client. */
const s3Source = `
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
export const read = async (endpoint: string, Key: string) => {
  const s3 = new S3Client({
    endpoint, region: "us-east-1", forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const object = await s3.send(new GetObjectCommand({ Bucket: "bucket", Key, Range: "bytes=0-4" }));
  return { body: await object.Body!.transformToString(), contentRange: object.ContentRange };
};
`;

/** One that reads a Bedrock batch job, as the task does (the bundle has no bearer-token chain: it signs with SigV4). */
const bedrockSource = `
import { BedrockClient, GetModelInvocationJobCommand } from "@aws-sdk/client-bedrock";
export const job = async (endpoint: string) => {
  const bedrock = new BedrockClient({
    endpoint, region: "us-east-1", maxAttempts: 1,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  return bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: "job-1" }));
};
`;

const bundle = async (name: string, options: BuildOptions, source = s3Source) => {
  const outfile = join(dir, `${name}.js`);
  const result = await build({
    ...options,
    entryPoints: undefined,
    stdin: { contents: source, resolveDir: root, loader: "ts", sourcefile: `${name}.ts` },
    outfile,
    metafile: true,
  });
  return { outfile, bytes: Object.values(result.metafile.outputs)[0]!.bytes };
};

const requests: IncomingMessage[] = [];
const server = createServer((request, response) => {
  requests.push(request);
  if (request.url?.startsWith("/model-invocation-job/")) {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(
      JSON.stringify({
        jobArn: "arn:aws:bedrock:us-east-1:000000000000:model-invocation-job/job-1",
        status: "InProgress",
      }),
    );
    return;
  }
  if (request.url?.startsWith("/bucket/missing")) {
    response.writeHead(404, { "content-type": "application/xml" });
    response.end("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>");
    return;
  }
  response.writeHead(206, { "content-type": "text/plain", "content-range": "bytes 0-4/11" });
  response.end("hello");
});

beforeAll(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)));
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("Lambda bundling (lib/bundling.ts)", () => {
  it("drops the schemas of operations no command reaches, and the bundled S3 client still reads and fails as S3 does", async () => {
    const withKeys = await bundle("literal", lambdaBuildOptions("openai"));
    const asIs = await bundle("as-is", {
      ...lambdaBuildOptions("openai"),
      plugins: lambdaBuildOptions("openai").plugins?.filter((plugin) => plugin !== literalSchemaKeys),
    });
    expect(lambdaBuildOptions("openai").plugins).toContain(literalSchemaKeys);
    // An operation this module never calls: its schema is in the SDK's bundle as published, not in ours.
    expect(readFileSync(asIs.outfile, "utf8")).toContain("PutBucketAnalyticsConfiguration");
    expect(readFileSync(withKeys.outfile, "utf8")).not.toContain("PutBucketAnalyticsConfiguration");
    // When the SDK's generator emits literal keys itself (smithy-typescript#1889), this fails: drop the plugin then.
    expect(asIs.bytes - withKeys.bytes).toBeGreaterThan(30 * 1024);

    const { read } = createRequire(import.meta.url)(withKeys.outfile) as {
      read: (endpoint: string, key: string) => Promise<{ body: string; contentRange?: string }>;
    };
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await read(endpoint, "some/key.jsonl")).toEqual({ body: "hello", contentRange: "bytes 0-4/11" });
    const sent = requests.at(-1)!;
    // The client's version still reaches its user agent from the trimmed manifest.
    const { version } = JSON.parse(readFileSync(join(root, "node_modules/@aws-sdk/client-s3/package.json"), "utf8"));
    expect(sent.headers["user-agent"]).toContain(`api/s3#${version}`);
    expect([sent.method, sent.url, sent.headers.range]).toEqual([
      "GET",
      "/bucket/some/key.jsonl?x-id=GetObject",
      "bytes=0-4",
    ]);
    await expect(read(endpoint, "missing")).rejects.toMatchObject({
      name: "NoSuchKey",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("signs the bundled Bedrock client's calls with the role's credentials (SigV4), never a bearer token", async () => {
    const { outfile } = await bundle("bedrock", lambdaBuildOptions("batch-task"), bedrockSource);
    expect(readFileSync(outfile, "utf8")).not.toContain("sso-oidc");
    const { job } = createRequire(import.meta.url)(outfile) as {
      job: (endpoint: string) => Promise<{ status?: string }>;
    };
    expect((await job(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)).status).toBe("InProgress");
    const sent = requests.at(-1)!;
    expect(sent.url).toBe("/model-invocation-job/job-1");
    expect(sent.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\/bedrock\/aws4_request/,
    );
  });
});
