// A Message Batch through the Anthropic SDK: send requests, wait, read the results and what the batch cost.
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import Anthropic from "@anthropic-ai/sdk";

const gateway = process.env.FINOPS_URL ?? "http://127.0.0.1:8080";
const apiKey = process.env.FINOPS_API_KEY ?? "my-key";
const provider = process.env.FINOPS_PROVIDER ?? "anthropic"; // or openai, gemini, bedrock
const models = {
  openai: "gpt-4.1-mini",
  anthropic: "claude-haiku-4-5",
  gemini: "gemini-2.5-flash",
  bedrock: "amazon.nova-micro-v1:0",
};
const sample = fileURLToPath(new URL("../inputs/anthropic-requests.jsonl", import.meta.url)); // the sample, from anywhere
const pollMs = 1000 * Number(process.env.FINOPS_POLL_SECONDS ?? 5);

const client = new Anthropic({
  baseURL: `${gateway}/anthropic`,
  apiKey,
  defaultHeaders: { "x-model-provider": provider }, // which provider runs the batch
});

const requests = (await readFile(sample, "utf8")).trim().split("\n").map(JSON.parse);
for (const request of requests) request.params.model = models[provider];

let batch = await client.messages.batches.create({ requests });
console.log(`created ${batch.id} on ${provider}`);

while (batch.processing_status !== "ended") {
  await sleep(pollMs);
  batch = await client.messages.batches.retrieve(batch.id);
  console.log(`${batch.processing_status}: ${batch.request_counts.processing} processing`);
}

for await (const result of await client.messages.batches.results(batch.id)) {
  if (result.result.type === "succeeded") console.log(result.custom_id, "→", result.result.message.content[0].text);
  else console.log(result.custom_id, "→", result.result.type);
}

// The FinOps API takes the same key and any SDK's batch id.
const response = await fetch(`${gateway}/finops/v1/batches/${batch.id}`, { headers: { "x-api-key": apiKey } });
const { cost } = await response.json();
console.log(`cost $${cost.batch}, saved $${cost.saved}`);
