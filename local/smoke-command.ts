/**
 * `npm run smoke -- --url <GatewayUrl> [--key <api key>] [--access-key-id <id> --secret-access-key <secret>]
 *   [--providers openai,anthropic,gemini,bedrock] [--model provider=id …] [--region r] [--wait seconds] [--json]`
 * Drives each official JS SDK through a small file and batch on each provider, a cancel, a bad input and a wrong
 * key, and prints what passed. Keys may come from FINOPS_API_KEY, FINOPS_ACCESS_KEY_ID and
 * FINOPS_SECRET_ACCESS_KEY (what `npm run keys -- create` prints). Exits 1 when a check failed.
 */
import { providers as allProviders, type Provider } from "../lambdas/core/model";
import { commandLine, printerFor } from "./cli";
import { defaultModels, formatSmoke, runSmoke } from "./smoke";

const { values } = commandLine(
  {
    options: {
      url: { type: "string" },
      key: { type: "string" },
      "access-key-id": { type: "string" },
      "secret-access-key": { type: "string" },
      providers: { type: "string" },
      model: { type: "string", multiple: true },
      region: { type: "string" },
      wait: { type: "string" },
      json: { type: "boolean" },
    },
  },
  "Usage: npm run smoke -- --url <GatewayUrl> [--key <api key>] [--access-key-id <id> --secret-access-key <secret>]\n" +
    "  [--providers openai,anthropic,gemini,bedrock] [--model provider=id …] [--region r] [--wait seconds] [--json]\n" +
    "Keys may come from FINOPS_API_KEY, FINOPS_ACCESS_KEY_ID and FINOPS_SECRET_ACCESS_KEY.",
);
const print = printerFor(values.json);
const url = values.url ?? process.env.FINOPS_URL;
const apiKey = values.key ?? process.env.FINOPS_API_KEY;
const accessKeyId = values["access-key-id"] ?? process.env.FINOPS_ACCESS_KEY_ID;
const secretAccessKey = values["secret-access-key"] ?? process.env.FINOPS_SECRET_ACCESS_KEY;
if (!url || !apiKey || !accessKeyId || !secretAccessKey) {
  console.error(
    "usage: npm run smoke -- --url <GatewayUrl> --key <api key> --access-key-id <id> --secret-access-key <secret>\n" +
      "       (or FINOPS_URL, FINOPS_API_KEY, FINOPS_ACCESS_KEY_ID, FINOPS_SECRET_ACCESS_KEY; `npm run keys -- create`)",
  );
  process.exit(2);
}
const providers = (values.providers?.split(",").map((p) => p.trim()) ?? allProviders) as Provider[];
const unknown = providers.filter((p) => !allProviders.includes(p));
if (unknown.length > 0) {
  console.error(`unknown provider ${unknown.join(", ")}; use ${allProviders.join(", ")}`);
  process.exit(2);
}
const models: Record<Provider, string> = { ...defaultModels };
for (const pair of values.model ?? []) {
  const [provider, model] = pair.split("=");
  if (!provider || !model || !allProviders.includes(provider as Provider)) {
    console.error(`--model takes provider=model, e.g. bedrock=us.anthropic.claude-haiku-4-5-20251001-v1:0`);
    process.exit(2);
  }
  models[provider as Provider] = model;
}
const rows = await runSmoke({
  url,
  apiKey,
  accessKeyId,
  secretAccessKey,
  providers,
  models,
  region: values.region,
  waitSeconds: values.wait ? Number(values.wait) : undefined,
  // Each check as it finishes (a run takes minutes; on stderr with --json), then the table.
  onRow: (row) =>
    print.note(`${row.result.padEnd(7)} ${row.sdk}/${row.provider}: ${row.check} (${row.seconds.toFixed(1)} s)`),
});
print.result(`\n${formatSmoke(rows)}`, { passed: rows.every((r) => r.result !== "fail"), checks: rows });
process.exit(rows.some((r) => r.result === "fail") ? 1 : 0);
