import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { frontDoors } from "../../lambdas/dialects/front-doors";
import { stagedRoutes } from "../../lambdas/dialects/staged-routes";

const source = (entry: string) => readFileSync(new URL(`../../lambdas/handlers/${entry}.ts`, import.meta.url), "utf8");

/**
 * A Lambda entry point passes in the clients its row grants and no others: what it passes is what its bundle holds
 * (the stack grants by the same row, and the local server gives each door only what its row grants).
 */
describe("the Lambda entry points pass what their rows grant", () => {
  it.each(Object.entries(frontDoors))("front door %s", (_, door) => {
    const handler = source(door.entry);
    expect(handler.includes("blobs: blobsFromEnv"), "the staging bucket").toBe(door.storesFiles);
    expect(handler.includes("runner: runnerFromEnv"), "the Step Functions runner").toBe(door.startsBatches);
    expect(handler.includes("spending: spendingFromEnv"), "prices and budgets").toBe(door.startsBatches);
  });

  it.each(Object.entries(stagedRoutes))(
    "staged route %s (its authorizer admits bodies into the bucket)",
    (_, route) => {
      expect(source(route.authorizerEntry)).toContain("blobs: blobsFromEnv");
    },
  );
});
