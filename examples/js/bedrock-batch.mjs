// A model invocation job through the AWS SDK: put the records in S3, run the job, read its output and what it cost.
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { BedrockClient, CreateModelInvocationJobCommand, GetModelInvocationJobCommand } from "@aws-sdk/client-bedrock";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const gateway = process.env.FINOPS_URL ?? "http://127.0.0.1:8080";
const provider = process.env.FINOPS_PROVIDER ?? "bedrock"; // or openai, anthropic, gemini
const models = {
  openai: "gpt-4.1-mini",
  anthropic: "claude-haiku-4-5",
  gemini: "gemini-2.5-flash",
  bedrock: "amazon.nova-micro-v1:0",
};
const sample = fileURLToPath(new URL("../inputs/bedrock-records.jsonl", import.meta.url)); // the sample, from anywhere
const pollMs = 1000 * Number(process.env.FINOPS_POLL_SECONDS ?? 5);

const config = {
  region: "us-east-1",
  credentials: {
    accessKeyId: process.env.FINOPS_ACCESS_KEY_ID ?? "my-key", // a gateway AWS key pair
    secretAccessKey: process.env.FINOPS_SECRET_ACCESS_KEY ?? "my-secret",
  },
};
const s3 = new S3Client({ ...config, endpoint: `${gateway}/bedrock/files`, forcePathStyle: true });
const bedrock = new BedrockClient({ ...config, endpoint: `${gateway}/bedrock` });
bedrock.middlewareStack.add(
  (next) => (args) => {
    args.request.headers["x-model-provider"] = provider; // which provider runs the job
    return next(args);
  },
  { step: "build" },
);

const jobName = `example-${Date.now()}-${process.pid}`;
await s3.send(
  new PutObjectCommand({
    Bucket: "my-batches",
    Key: `input/${jobName}.jsonl`,
    Body: await readFile(sample),
  }),
);
const { jobArn } = await bedrock.send(
  new CreateModelInvocationJobCommand({
    jobName,
    modelId: models[provider],
    roleArn: "arn:aws:iam::123456789012:role/unused", // accepted; jobs run under the stack's own role
    inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://my-batches/input/${jobName}.jsonl` } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://my-batches/output/" } },
  }),
);
console.log(`created ${jobArn} on ${provider}`);

let status = "Submitted";
while (!["Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"].includes(status)) {
  await sleep(pollMs);
  ({ status } = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn })));
  console.log(status);
}
if (status !== "Completed") throw new Error(`job ended ${status}`);

const jobId = jobArn.split("/").pop();
const output = await s3.send(
  new GetObjectCommand({ Bucket: "my-batches", Key: `output/${jobId}/${jobName}.jsonl.out` }),
);
for (const line of (await output.Body.transformToString()).trim().split("\n")) {
  const record = JSON.parse(line);
  console.log(record.recordId, "→", record.modelOutput.output.message.content[0].text);
}

// The FinOps API takes the credential's API key (locally, in open mode, the same string as the access key id).
const response = await fetch(`${gateway}/finops/v1/batches/${encodeURIComponent(jobArn)}`, {
  headers: { "x-api-key": process.env.FINOPS_API_KEY ?? "my-key" },
});
const { cost } = await response.json();
console.log(`cost $${cost.batch}, saved $${cost.saved}`);
