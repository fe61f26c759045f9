import {
  AccessDeniedException,
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
} from "@aws-sdk/client-bedrock";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCredential } from "../../lambdas/core/credentials";
import { startTestGateway } from "../support/gateway";

/** F2: the stack's job buckets are a ceiling; each key's jobs read and write only the places it was granted. */
describe("job places per credential (FINOPS_AUTH=keys)", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let teamB: NewCredential;
  const record = (id: string, text: string) =>
    `${JSON.stringify({ recordId: id, modelInput: { messages: [{ role: "user", content: [{ text }] }] } })}\n`;
  const bedrockFor = (credential: NewCredential) =>
    new BedrockClient({
      endpoint: `${gateway.url}/bedrock`,
      region: "us-east-1",
      credentials: { accessKeyId: credential.record.accessKeyId, secretAccessKey: credential.secretAccessKey },
    });
  const create = (credential: NewCredential, input: string, output: string) =>
    bedrockFor(credential).send(
      new CreateModelInvocationJobCommand({
        jobName: "places",
        modelId: "anthropic.claude-3-haiku-20240307-v1:0",
        roleArn: "arn:aws:iam::123456789012:role/any",
        inputDataConfig: { s3InputDataConfig: { s3Uri: input } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: output } },
      }),
    );
  const refusal = (attempt: Promise<unknown>) =>
    attempt.then(
      () => undefined,
      (error: unknown) => error as Error,
    );

  beforeAll(async () => {
    gateway = await startTestGateway({
      auth: "keys",
      simulators: { jobLatencyMs: 200 },
      runner: { pollWaitMs: 50, retryWaitMs: 20 },
      bedrockMinRecords: 1,
      config: { jobBuckets: [{ bucket: "team-data", prefix: "batches/" }] },
    });
    await gateway.gateway.createCredential("team-a");
    teamB = await gateway.gateway.createCredential("team-b");
    await gateway.gateway.setJobPlaces("team-a", ["team-data/batches/team-a/"]);
    // Grants beyond the ceiling (BEDROCK_JOB_BUCKETS) reach nothing.
    await gateway.gateway.setJobPlaces("team-b", ["team-data/batches/team-b/", "team-data/elsewhere/", "archive/"]);
    const account = gateway.gateway.s3; // the account's own S3 (the emulator stands in)
    await account.send(
      new PutObjectCommand({
        Bucket: "team-data",
        Key: "batches/team-a/payroll.jsonl",
        Body: record("1", "TEAM-A PAYROLL"),
      }),
    );
    await account.send(
      new PutObjectCommand({ Bucket: "team-data", Key: "batches/team-b/in.jsonl", Body: record("1", "team b") }),
    );
    await account.send(new PutObjectCommand({ Bucket: "team-data", Key: "loose.jsonl", Body: record("1", "x") }));
  });
  afterAll(() => gateway.stop());

  it("refuses another team's input and output places with AccessDeniedException naming the key's own", async () => {
    const attempts = [
      create(teamB, "s3://team-data/batches/team-a/payroll.jsonl", "s3://team-data/batches/team-b/out/"),
      create(teamB, "s3://team-data/batches/team-b/in.jsonl", "s3://team-data/batches/team-a/out/"),
      create(teamB, "s3://team-data/loose.jsonl", "s3://team-data/batches/team-b/out/"),
    ];
    for (const error of await Promise.all(attempts.map(refusal))) {
      expect(error).toBeInstanceOf(AccessDeniedException);
      expect(error?.message).toMatch(/may (read|write) only under s3:\/\/team-data\/batches\/team-b\/\./);
      expect(error?.message).toContain("npm run keys -- buckets");
    }
  });

  it("refuses every place to a key granted none, and says how the owner grants one", async () => {
    const teamC = await gateway.gateway.createCredential("team-c");
    const error = await refusal(
      create(teamC, "s3://team-data/batches/team-a/payroll.jsonl", "s3://team-data/batches/team-a/out/"),
    );
    expect(error).toBeInstanceOf(AccessDeniedException);
    expect(error?.message).toContain("may use none of the account's buckets");
  });

  it("runs a key's job in its own place and writes the outputs there", async () => {
    const { jobArn } = await create(
      teamB,
      "s3://team-data/batches/team-b/in.jsonl",
      "s3://team-data/batches/team-b/out/",
    );
    const bedrock = bedrockFor(teamB);
    let status: string | undefined;
    for (let i = 0; i < 300 && status !== "Completed"; i++) {
      status = (await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status;
      if (status === "Failed") throw new Error("job failed");
      if (status !== "Completed") await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe("Completed");
    const jobId = jobArn!.slice(jobArn!.lastIndexOf("/") + 1);
    const account = gateway.gateway.s3;
    const out = await account.send(
      new GetObjectCommand({ Bucket: "team-data", Key: `batches/team-b/out/${jobId}/in.jsonl.out` }),
    );
    expect(await out.Body!.transformToString()).toContain('"recordId":"1"');
    // Nothing of team A's reached team B's outputs.
    const written = await account.send(new ListObjectsV2Command({ Bucket: "team-data", Prefix: "batches/team-b/" }));
    for (const object of written.Contents ?? []) {
      const body = await (
        await account.send(new GetObjectCommand({ Bucket: "team-data", Key: object.Key! }))
      ).Body!.transformToString();
      expect(body).not.toContain("TEAM-A");
    }
  });
});
