// A batch through the Google GenAI SDK: upload a JSONL file, run it, read the results and what it cost.
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { GoogleGenAI } from "@google/genai";

const gateway = process.env.FINOPS_URL ?? "http://127.0.0.1:8080";
const apiKey = process.env.FINOPS_API_KEY ?? "my-key";
const provider = process.env.FINOPS_PROVIDER ?? "gemini"; // or openai, anthropic, bedrock
const models = {
  openai: "gpt-4.1-mini",
  anthropic: "claude-haiku-4-5",
  gemini: "gemini-2.5-flash",
  bedrock: "amazon.nova-micro-v1:0",
};
const sample = fileURLToPath(new URL("../inputs/genai-requests.jsonl", import.meta.url)); // the sample, from anywhere
const pollMs = 1000 * Number(process.env.FINOPS_POLL_SECONDS ?? 5);
const ended = ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"];

const client = new GoogleGenAI({
  apiKey,
  httpOptions: { baseUrl: `${gateway}/genai`, headers: { "x-model-provider": provider } }, // which provider runs it
});

const uploaded = await client.files.upload({
  file: sample,
  config: { mimeType: "application/jsonl", displayName: "genai-requests" },
});
let job = await client.batches.create({ model: models[provider], src: uploaded.name });
console.log(`created ${job.name} on ${provider}`);

while (!ended.includes(job.state)) {
  await sleep(pollMs);
  job = await client.batches.get({ name: job.name });
  console.log(job.state);
}
if (job.state !== "JOB_STATE_SUCCEEDED") throw new Error(`batch ended ${job.state}: ${JSON.stringify(job.error)}`);

const resultsPath = join(tmpdir(), `${job.name.replace("/", "-")}.jsonl`);
await client.files.download({ file: job.dest.fileName, downloadPath: resultsPath });
for (const line of (await readFile(resultsPath, "utf8")).trim().split("\n")) {
  const result = JSON.parse(line);
  console.log(result.key, "→", result.response.candidates[0].content.parts[0].text);
}

// The FinOps API takes the same key and any SDK's batch id.
const response = await fetch(`${gateway}/finops/v1/${job.name}`, { headers: { "x-goog-api-key": apiKey } });
const { cost } = await response.json();
console.log(`cost $${cost.batch}, saved $${cost.saved}`);
