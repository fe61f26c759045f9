import { join } from "node:path";
import { firstBatchLines } from "./first-batch";
import { startLocalGateway } from "./server";

/** `npm start`: the gateway on 127.0.0.1:$PORT with embedded defaults (no AWS account, no keys). */
const dataDir = process.env.FINOPS_DATA_DIR ?? ".finops-local";
const port = Number(process.env.PORT ?? 8080);
const gateway = await startLocalGateway({
  port,
  host: process.env.HOST ?? "127.0.0.1",
  dataDir,
  // How long a simulated upstream batch runs (to watch one, or to stop the gateway in the middle of one).
  simulators: { jobLatencyMs: Number(process.env.FINOPS_SIM_LATENCY_MS) || undefined },
}).catch((error: NodeJS.ErrnoException) => {
  if (error.code !== "EADDRINUSE") throw error;
  console.error(
    `Port ${port} is in use, perhaps by another gateway (curl http://127.0.0.1:${port}/health). ` +
      `Stop it, or start this one elsewhere: PORT=${port + 1} npm start`,
  );
  process.exit(1);
});
const gw = gateway.url;
const { resumed, published } = gateway.recovered;
if (resumed.length + published.length > 0)
  console.log(`Resumed ${resumed.length} unfinished batch(es) and published ${published.length} batch end(s).`);
const auth =
  gateway.auth === "keys"
    ? "gateway keys required (create one: npm run keys -- create --name NAME)"
    : "open (every key works, each key its own tenant; FINOPS_AUTH=keys requires gateway keys, and only then do " +
      "the budgets, webhooks and job-bucket grants set with npm run keys apply)";
console.log(`FinOps gateway listening on ${gw} (state in ${dataDir}; stop it and run \`npm run wipe\` to start fresh)
  auth             ${auth}
  health           ${gw}/health
  OpenAI SDK       base_url="${gw}/openai"
  Anthropic SDK    base_url="${gw}/anthropic"
  Google GenAI SDK http_options={"base_url": "${gw}/genai"}
  AWS SDK (S3)     endpoint_url="${gw}/bedrock/files"
  AWS SDK (Bedrock) endpoint_url="${gw}/bedrock"
  FinOps console   ${gw}/finops/console (the key you use with the SDKs)
  batch-ended events ${join(dataDir, "events.jsonl")} (webhooks: npm run keys -- webhook --name NAME --url …)`);
console.log(firstBatchLines(gw, gateway.auth).join("\n"));
const places = gateway.jobBuckets.map(({ bucket, prefix }) => `s3://${bucket}/${prefix}`).join(", ");
if (places)
  console.log(
    gateway.auth === "keys"
      ? `  job buckets      ${places}: each key's jobs use only what it is granted (npm run keys -- buckets …)`
      : `  job buckets      ${places}: open to every caller's jobs in open mode; FINOPS_AUTH=keys grants them per key`,
  );

const stop = async () => {
  await gateway.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
