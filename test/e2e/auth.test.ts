import { Agent } from "node:http";
import { Readable } from "node:stream";
import Anthropic from "@anthropic-ai/sdk";
import { Sha256 } from "@aws-crypto/sha256-js";
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
} from "@aws-sdk/client-bedrock";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { GoogleGenAI } from "@google/genai";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCredential } from "../../lambdas/core/credentials";
import { stagingPrefix } from "../../lambdas/core/layout";
import { localNames } from "../../local/emulators";
import { startTestGateway } from "../support/gateway";

describe("a gateway with auth on (gateway keys, SigV4 verified)", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let team: NewCredential;
  let other: NewCredential;
  const s3For = (accessKeyId: string, secretAccessKey: string, extra: Record<string, unknown> = {}) =>
    new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-west-2",
      credentials: { accessKeyId, secretAccessKey },
      forcePathStyle: true,
      ...extra,
    });
  const bedrockFor = (accessKeyId: string, secretAccessKey: string) =>
    new BedrockClient({
      endpoint: `${gateway.url}/bedrock`,
      region: "us-west-2",
      credentials: { accessKeyId, secretAccessKey },
    });

  beforeAll(async () => {
    gateway = await startTestGateway({
      auth: "keys",
      simulators: { jobLatencyMs: 300 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
    });
    team = await gateway.gateway.createCredential("team-a");
    other = await gateway.gateway.createCredential("team-b");
  });
  afterAll(() => gateway.stop());

  it("stores no secret in clear", async () => {
    const stored = await gateway.gateway.credentials.byName("team-a");
    const text = JSON.stringify(stored);
    expect(text).not.toContain(team.apiKey);
    expect(text).not.toContain(team.secretAccessKey);
    expect(stored?.accessKeyId).toBe(team.record.accessKeyId);
  });

  it("OpenAI SDK: a gateway key works, an unknown or disabled one is an AuthenticationError", async () => {
    const good = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: team.apiKey, maxRetries: 0 });
    const file = await good.files.create({ file: await toFile(Buffer.from("hello"), "a.txt"), purpose: "user_data" });
    expect(file.id).toMatch(/^file-/);
    const unknown = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-not-a-gateway-key", maxRetries: 0 });
    await expect(unknown.files.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const missing = await fetch(`${gateway.url}/openai/files`);
    expect(missing.status).toBe(401);
    const temp = await gateway.gateway.createCredential("temporary");
    const client = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: temp.apiKey, maxRetries: 0 });
    await client.files.list();
    await gateway.gateway.credentials.setStatus("temporary", "disabled");
    await expect(client.files.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("Anthropic and GenAI SDKs: unknown keys are refused in their envelopes", async () => {
    const anthropic = new Anthropic({ baseURL: `${gateway.url}/anthropic`, apiKey: "sk-ant-unknown", maxRetries: 0 });
    await expect(anthropic.beta.files.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    // The gateway key reaches the team's own files: the one uploaded through the OpenAI SDK above.
    const teamFiles = await new Anthropic({
      baseURL: `${gateway.url}/anthropic`,
      apiKey: team.apiKey,
      maxRetries: 0,
    }).beta.files.list();
    expect(teamFiles.data.map((f) => f.filename)).toContain("a.txt");
    const genai = new GoogleGenAI({ apiKey: "AIza-unknown", httpOptions: { baseUrl: `${gateway.url}/genai` } });
    await expect(genai.batches.list()).rejects.toMatchObject({ status: 401 });
    const ok = new GoogleGenAI({ apiKey: team.apiKey, httpOptions: { baseUrl: `${gateway.url}/genai` } });
    const names: string[] = [];
    for await (const f of await ok.files.list()) names.push(f.displayName ?? "");
    expect(names).toContain("a.txt");
  });

  it("AWS SDKs: correctly signed calls pass (plain, aws-chunked, virtual-hosted, ARN paths)", async () => {
    const s3 = s3For(team.record.accessKeyId, team.secretAccessKey);
    await s3.send(
      new PutObjectCommand({
        Bucket: "signed",
        Key: "dir/my file é+x.jsonl",
        Body: '{"recordId":"1","modelInput":{"messages":[{"role":"user","content":[{"text":"hi"}]}]}}',
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: "signed",
        Key: "stream.bin",
        Body: Readable.from([Buffer.from("abc"), Buffer.from("def")]),
        ContentLength: 6,
      }),
    );
    expect(
      await (await s3.send(new GetObjectCommand({ Bucket: "signed", Key: "stream.bin" }))).Body!.transformToString(),
    ).toBe("abcdef");
    const agent = new Agent({
      lookup: (_h, o, cb) =>
        o.all ? cb(null, [{ address: "127.0.0.1", family: 4 }] as never, 4) : cb(null, "127.0.0.1", 4),
    });
    const virtual = new S3Client({
      endpoint: `http://localhost:${new URL(gateway.url).port}/bedrock/files`,
      region: "us-west-2",
      credentials: { accessKeyId: team.record.accessKeyId, secretAccessKey: team.secretAccessKey },
      requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    });
    expect((await virtual.send(new ListObjectsV2Command({ Bucket: "signed" }))).KeyCount).toBe(2);
    const bedrock = bedrockFor(team.record.accessKeyId, team.secretAccessKey);
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: "signed",
        modelId: "amazon.nova-lite-v1:0",
        roleArn: "r",
        inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://signed/dir/my file é+x.jsonl" } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://signed/out/" } },
      }),
    );
    expect((await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).jobArn).toBe(jobArn);
  });

  it("AWS SDKs: a wrong secret, an unknown key or no signature is refused with AWS's error codes", async () => {
    const wrong = s3For(team.record.accessKeyId, "not-the-secret");
    const s3Error = (await wrong
      .send(new ListObjectsV2Command({ Bucket: "signed" }))
      .catch((e: unknown) => e)) as S3ServiceException;
    expect(s3Error.$metadata.httpStatusCode).toBe(403);
    expect(s3Error.name).toBe("SignatureDoesNotMatch");
    const unknown = (await s3For("FOPSUNKNOWNKEY000000", "x")
      .send(new ListObjectsV2Command({ Bucket: "signed" }))
      .catch((e: unknown) => e)) as S3ServiceException;
    expect(unknown.name).toBe("InvalidAccessKeyId");
    const bedrockWrong = (await bedrockFor(team.record.accessKeyId, "nope")
      .send(new ListModelInvocationJobsCommand({}))
      .catch((e: unknown) => e)) as Error;
    expect(bedrockWrong.name).toBe("InvalidSignatureException");
    const bedrockUnknown = (await bedrockFor("FOPSUNKNOWNKEY000000", "x")
      .send(new ListModelInvocationJobsCommand({}))
      .catch((e: unknown) => e)) as Error;
    expect(bedrockUnknown.name).toBe("UnrecognizedClientException");
    // A PUT body goes to the bucket through a staged route: its authorizer refuses a wrong signature before any byte
    // is stored, in S3's words (a streamed body signs no Content-Length, so it is checked at once).
    const wrongPut = (await wrong
      .send(
        new PutObjectCommand({
          Bucket: "signed",
          Key: "never.bin",
          Body: Readable.from([Buffer.from("abc")]),
          ContentLength: 3,
        }),
      )
      .catch((e: unknown) => e)) as S3ServiceException;
    expect([wrongPut.name, wrongPut.$metadata.httpStatusCode]).toEqual(["SignatureDoesNotMatch", 403]);
    const unknownPut = (await s3For("FOPSUNKNOWNKEY000000", "x")
      .send(new PutObjectCommand({ Bucket: "signed", Key: "never.bin", Body: "abc" }))
      .catch((e: unknown) => e)) as S3ServiceException;
    expect(unknownPut.name).toBe("InvalidAccessKeyId");
    const unsigned = await fetch(`${gateway.url}/bedrock/files/signed?list-type=2`);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain("<Code>MissingAuthenticationToken</Code>");
  });

  it("checks a signed Content-Length before admitting the body: another length is refused and never lands", async () => {
    const { host } = new URL(gateway.url);
    const signer = new SignatureV4({
      credentials: { accessKeyId: team.record.accessKeyId, secretAccessKey: team.secretAccessKey },
      region: "us-west-2",
      service: "s3",
      sha256: Sha256,
      uriEscapePath: false,
    });
    const put = async (key: string, body: string) => {
      const signed = await signer.sign({
        method: "PUT",
        protocol: "http:",
        hostname: host,
        path: `/bedrock/files/lengths/${key}`,
        headers: { host, "content-length": "3", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      });
      const { host: _host, "content-length": _length, ...headers } = signed.headers;
      return fetch(`${gateway.url}/bedrock/files/lengths/${key}`, { method: "PUT", headers, body });
    };
    const s3 = s3For(team.record.accessKeyId, team.secretAccessKey);
    expect((await put("right.txt", "abc")).status).toBe(200);
    expect(
      await (await s3.send(new GetObjectCommand({ Bucket: "lengths", Key: "right.txt" }))).Body!.transformToString(),
    ).toBe("abc");
    // The same signature over a longer body: the front's copy of Content-Length reaches the authorizer, which refuses
    // it before anything is stored.
    const longer = await put("longer.txt", "abcd");
    expect(longer.status).toBe(403);
    expect(await longer.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    const missing = (await s3
      .send(new GetObjectCommand({ Bucket: "lengths", Key: "longer.txt" }))
      .catch((e: unknown) => e)) as S3ServiceException;
    expect(missing.name).toBe("NoSuchKey");
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: "lengths" }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(["right.txt"]);
  });

  it("admits no body before its signature holds: a zero signature stores nothing and cannot touch a valid upload", async () => {
    /** What the staging bucket holds under the prefix API Gateway writes staged bodies to. */
    const stagedBodies = async () => {
      const staged = gateway.gateway.s3;
      const listed = await staged.send(
        new ListObjectsV2Command({ Bucket: localNames.bucket, Prefix: stagingPrefix.uploads }),
      );
      return Promise.all(
        (listed.Contents ?? []).map(async ({ Key }) =>
          (await staged.send(new GetObjectCommand({ Bucket: localNames.bucket, Key }))).Body!.transformToString(),
        ),
      );
    };
    const s3 = s3For(team.record.accessKeyId, team.secretAccessKey);
    await s3.send(new PutObjectCommand({ Bucket: "victim", Key: "data.jsonl", Body: "old body" }));
    const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
    const forged = () =>
      fetch(`${gateway.url}/bedrock/files/victim/data.jsonl`, {
        method: "PUT",
        headers: {
          "x-amz-date": date,
          "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
          authorization:
            `AWS4-HMAC-SHA256 Credential=${team.record.accessKeyId}/${date.slice(0, 8)}/us-west-2/s3/aws4_request, ` +
            `SignedHeaders=content-length;host;x-amz-date, Signature=${"0".repeat(64)}`,
        },
        body: "attacker bytes",
      });
    // A valid PutObject of the same key races the forged ones: the valid body wins, nothing else is stored.
    const [valid, ...refused] = await Promise.all([
      s3.send(new PutObjectCommand({ Bucket: "victim", Key: "data.jsonl", Body: "new body ".repeat(60_000) })),
      forged(),
      forged(),
    ]);
    expect(valid.ETag).toBeDefined();
    expect(refused.map((r) => r.status)).toEqual([403, 403]);
    const body = await (await s3.send(new GetObjectCommand({ Bucket: "victim", Key: "data.jsonl" }))).Body!;
    expect(await body.transformToString()).toBe("new body ".repeat(60_000));
    expect((await stagedBodies()).filter((stored) => stored.includes("attacker"))).toEqual([]);
  });

  it("presigned URLs (getSignedUrl) read and write as in S3, until they expire; another key's are refused", async () => {
    const s3 = s3For(team.record.accessKeyId, team.secretAccessKey);
    const key = "shared dir/ü 100% + a.jsonl";
    const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket: "signed", Key: key }), { expiresIn: 60 });
    expect((await fetch(put, { method: "PUT", body: "presigned body" })).status).toBe(200);
    const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "signed", Key: key }), { expiresIn: 60 });
    const read = await fetch(get);
    expect(read.status).toBe(200);
    expect(await read.text()).toBe("presigned body");
    const tampered = await fetch(get.replace("X-Amz-Expires=60", "X-Amz-Expires=61"));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    const wrong = await getSignedUrl(
      s3For(team.record.accessKeyId, "not-the-secret"),
      new GetObjectCommand({ Bucket: "signed", Key: key }),
    );
    expect((await fetch(wrong)).status).toBe(403);
  });

  it("one credential is one tenant across SDKs; another credential sees nothing of it", async () => {
    const s3 = s3For(team.record.accessKeyId, team.secretAccessKey);
    const put = await s3.send(new PutObjectCommand({ Bucket: "shared", Key: "in.jsonl", Body: "hello across SDKs" }));
    const fileId = put.ETag!.replace(/"/g, "");
    const openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: team.apiKey, maxRetries: 0 });
    expect(await (await openai.files.content(`file-${fileId}`)).text()).toBe("hello across SDKs");
    const intruder = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: other.apiKey, maxRetries: 0 });
    await expect(intruder.files.retrieve(`file-${fileId}`)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const otherS3 = s3For(other.record.accessKeyId, other.secretAccessKey);
    const listed = (await otherS3
      .send(new ListObjectsV2Command({ Bucket: "shared" }))
      .catch((e: unknown) => e)) as Error;
    expect(listed.name).toBe("NoSuchBucket");
  });
});

describe("pass-through mode (off by default)", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gateway = await startTestGateway({
      auth: "keys",
      passThrough: true,
      simulators: { jobLatencyMs: 300 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
    });
  });
  afterAll(() => gateway.stop());

  it("runs a caller's batches with the caller's own provider key, keeps it sealed, and keys the tenant on it", async () => {
    const ownKey = "sk-ant-callers-own-key";
    const client = new Anthropic({ baseURL: `${gateway.url}/anthropic`, apiKey: ownKey, maxRetries: 0 });
    const created = await client.messages.batches.create({
      requests: [
        {
          custom_id: "a",
          params: { model: "claude-3-5-haiku-latest", max_tokens: 10, messages: [{ role: "user", content: "hi" }] },
        },
      ],
    });
    let batch = created;
    for (let i = 0; i < 100 && batch.processing_status !== "ended"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      batch = await client.messages.batches.retrieve(created.id);
    }
    expect(batch.request_counts.succeeded).toBe(1);
    const sim = gateway.gateway.simulators.anthropic!;
    expect(sim.seenKeys).toContain(ownKey);
    expect(sim.seenKeys).not.toContain("sk-ant-simulated");
    const other = new Anthropic({ baseURL: `${gateway.url}/anthropic`, apiKey: "sk-ant-someone-else", maxRetries: 0 });
    await expect(other.messages.batches.retrieve(created.id)).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("still verifies AWS signatures (AWS callers have no provider key to pass through)", async () => {
    const error = (await new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-east-1",
      credentials: { accessKeyId: "FOPSUNKNOWN000000000", secretAccessKey: "x" },
      forcePathStyle: true,
    })
      .send(new ListObjectsV2Command({ Bucket: "b" }))
      .catch((e: unknown) => e)) as S3ServiceException;
    expect(error.name).toBe("InvalidAccessKeyId");
  });
});
