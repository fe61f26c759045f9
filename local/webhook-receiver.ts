/**
 * `npm run webhooks:listen -- --secret whsec_… [--port 9000] [--json]`: a local webhook receiver that verifies each
 * delivery's Standard Webhooks signature and prints the batch end it carries (with `--json`, each verified event as
 * one JSON line). Point a credential at it with
 * `npm run keys -- webhook --name NAME --url http://127.0.0.1:9000/`.
 */
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";
import { commandLine } from "./cli";

const { values } = commandLine(
  {
    options: { secret: { type: "string" }, port: { type: "string", default: "9000" }, json: { type: "boolean" } },
  },
  "Usage: npm run webhooks:listen -- --secret whsec_… [--port 9000] [--json]",
);
if (!values.secret) {
  console.error("Give --secret whsec_… (what `npm run keys -- webhook` printed).");
  process.exit(1);
}
const verifier = new Webhook(values.secret);
createServer((request, response) => {
  let body = "";
  request.on("data", (chunk: Buffer) => {
    body += chunk.toString("utf8");
  });
  request.on("end", () => {
    try {
      const event = verifier.verify(body, request.headers as Record<string, string>) as {
        data: { batchId: string; status: string; requestCounts: unknown; cost: unknown };
      };
      const { batchId, status, requestCounts, cost } = event.data;
      if (values.json) console.log(JSON.stringify({ webhookId: request.headers["webhook-id"], ...event }));
      else
        console.log(`verified ${request.headers["webhook-id"]}: batch ${batchId} ${status}`, { requestCounts, cost });
      response.writeHead(204).end();
    } catch (error) {
      console.error(`refused a delivery: ${String(error)}`);
      response.writeHead(400).end();
    }
  });
}).listen(Number(values.port), "127.0.0.1", () => console.error(`Listening on http://127.0.0.1:${values.port}/`));
