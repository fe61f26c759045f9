// A batch through the OpenAI SDK: upload a JSONL file, run it, read the results and what the batch cost.
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import OpenAI, { toFile } from "openai";

const gateway = process.env.FINOPS_URL ?? "http://127.0.0.1:8080";
const provider = process.env.FINOPS_PROVIDER ?? "openai"; // or anthropic, gemini, bedrock
const models = {
  openai: "gpt-4.1-mini",
  anthropic: "claude-haiku-4-5",
  gemini: "gemini-2.5-flash",
  bedrock: "amazon.nova-micro-v1:0",
};
const sample = fileURLToPath(new URL("../inputs/openai-chat.jsonl", import.meta.url)); // the sample, from anywhere
const pollMs = 1000 * Number(process.env.FINOPS_POLL_SECONDS ?? 5);

const client = new OpenAI({ baseURL: `${gateway}/openai`, apiKey: process.env.FINOPS_API_KEY ?? "my-key" });

// Each line names its model: one the provider that runs the batch serves.
const lines = (await readFile(sample, "utf8")).trim().split("\n").map(JSON.parse);
for (const line of lines) line.body.model = models[provider];
const jsonl = lines.map((line) => `${JSON.stringify(line)}\n`).join("");

const input = await client.files.create({ file: await toFile(Buffer.from(jsonl), "requests.jsonl"), purpose: "batch" });
let batch = await client.batches.create({
  input_file_id: input.id,
  endpoint: "/v1/chat/completions",
  completion_window: "24h",
  provider, // the gateway's one extra field: which provider runs the batch
});
console.log(`created ${batch.id} on ${provider}`);

while (!["completed", "failed", "expired", "cancelled"].includes(batch.status)) {
  await sleep(pollMs);
  batch = await client.batches.retrieve(batch.id);
  console.log(`${batch.status}: ${batch.request_counts?.completed} of ${batch.request_counts?.total} done`);
}
if (batch.status !== "completed") throw new Error(`batch ended ${batch.status}: ${JSON.stringify(batch.errors)}`);

const output = await (await client.files.content(batch.output_file_id)).text();
for (const line of output.trim().split("\n")) {
  const result = JSON.parse(line);
  console.log(result.custom_id, "→", result.response.body.choices[0].message.content);
}

// Each settled batch carries its cost at batch prices and what it saved against on-demand prices.
console.log(`cost $${batch.metadata.finops_cost_usd}, saved $${batch.metadata.finops_saved_usd}`);
