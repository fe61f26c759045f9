import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";

/**
 * `npm run wipe`: deletes the local gateway's state (emulated DynamoDB and S3). It refuses while a gateway runs on
 * that data directory: deleting state under a running gateway left `/health` green and every call a 500.
 */
const dataDir = resolve(process.env.FINOPS_DATA_DIR ?? ".finops-local");
const endpoints = join(dataDir, "endpoints.json");
if (existsSync(endpoints)) {
  // A running gateway writes its emulators' addresses here and removes them at stop; a crash leaves them behind,
  // so the emulator is asked whether it still answers.
  const { dynamodb } = JSON.parse(readFileSync(endpoints, "utf8")) as { dynamodb: string };
  const running = await fetch(dynamodb, { signal: AbortSignal.timeout(2000) }).then(
    () => true,
    () => false,
  );
  if (running) {
    console.error(
      `A local gateway is running on ${dataDir} (its emulated DynamoDB answers at ${dynamodb}). ` +
        "Stop it first (Ctrl-C where npm start runs), then run npm run wipe again.",
    );
    process.exit(1);
  }
}
await rm(dataDir, { recursive: true, force: true });
console.log(`Removed ${dataDir}`);
