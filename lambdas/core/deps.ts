import type { BatchDeps } from "./batches";
import type { JobPlaces } from "./job-places";
import type { NamespaceDeps } from "./namespace";
import type { ConsoleFiles } from "./ports";

/** Where the gateway runs: the account and region written into the ARNs it hands out. */
export interface Deployment {
  accountId: string;
  region: string;
}

/** Everything core's operations need; the composition root (lambdas/app) builds it once per cold start. */
export interface GatewayDeps extends BatchDeps, NamespaceDeps {
  deployment: Deployment;
  /** Which of the account's own buckets each tenant's jobs may read and write (per credential, under `jobBuckets`). */
  jobPlaces: JobPlaces;
  /** The console's files: the FinOps door serves them. @default none (404) */
  consoleFiles?: ConsoleFiles;
}
