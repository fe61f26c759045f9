import { join } from "node:path";

/** The clone's examples: one script per SDK in each language, and the sample inputs they send. */
const examples = join(import.meta.dirname, "..", "examples");

const scripts = [
  ["OpenAI SDK", "openai"],
  ["Anthropic SDK", "anthropic"],
  ["Google GenAI SDK", "genai"],
  ["AWS SDK", "bedrock"],
] as const;

/**
 * What `npm start` prints for a first batch: each SDK's example, ready to paste in another terminal with this
 * gateway's URL (and, with keys, where the key goes), runnable from any directory.
 */
export const firstBatchLines = (url: string, auth: "open" | "keys"): string[] => {
  const env = `FINOPS_URL=${url}${auth === "keys" ? " FINOPS_API_KEY=fops-…" : ""}`;
  const awsEnv = auth === "keys" ? " FINOPS_ACCESS_KEY_ID=FOPS… FINOPS_SECRET_ACCESS_KEY=…" : "";
  return [
    `First batch, in another terminal (pip install -r ${join(examples, "python", "requirements.txt")}):`,
    ...scripts.map(
      ([sdk, name]) =>
        `  ${sdk.padEnd(17)}${env}${name === "bedrock" ? awsEnv : ""} python3 ${join(examples, "python", `${name}_batch.py`)}`,
    ),
    `  in JavaScript    ${env} node ${join(examples, "js", "openai-batch.mjs")}`,
    "                   (and anthropic-batch.mjs, genai-batch.mjs, bedrock-batch.mjs beside it)",
    "  on another provider, put FINOPS_PROVIDER=openai, anthropic, gemini or bedrock before any of them",
    `  sample inputs    ${join(examples, "inputs")}/ (the same three requests in each SDK's batch format)`,
    ...(auth === "keys"
      ? ["  the keys         npm run keys -- create --name me (prints the API key and the AWS key pair)"]
      : []),
  ];
};
