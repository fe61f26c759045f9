import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { modelAllowlistFromEnv, priceBook, priceOverridesFromEnv } from "../pricing/price-book";
import { DynamoBudgetLedger } from "../state/dynamo-budget-ledger";
import { DynamoTagStore } from "../state/dynamo-tag-store";
import type { GatewayParts } from "./compose";
import { required } from "./lambda-runtime";

/** What prices and budgets batches: only the Lambdas that start or settle batches take it (the price dataset is large). */
export type Spending = Pick<GatewayParts, "prices" | "budgets" | "tags">;

/** Prices (the dataset, PRICE_OVERRIDES and MODEL_ALLOWLIST) and budgets (the table), from the Lambda environment. */
export const spendingFromEnv = (env: NodeJS.ProcessEnv): Spending => {
  const dynamo = new DynamoDBClient({});
  return {
    prices: priceBook(priceOverridesFromEnv(env), modelAllowlistFromEnv(env)),
    budgets: new DynamoBudgetLedger(dynamo, required(env, "TABLE_NAME")),
    tags: new DynamoTagStore(dynamo, required(env, "TABLE_NAME")),
  };
};
