import { rm } from "node:fs/promises";
import { resolve } from "node:path";

/** `npm run wipe`: deletes the local gateway's state (emulated DynamoDB and S3). Stop the gateway first. */
const dataDir = resolve(process.env.FINOPS_DATA_DIR ?? ".finops-local");
await rm(dataDir, { recursive: true, force: true });
console.log(`Removed ${dataDir}`);
