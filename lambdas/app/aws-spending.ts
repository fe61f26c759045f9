import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { modelAllowlistFromEnv, priceBook, priceOverridesFromEnv } from "../pricing/price-book";
import { DynamoBudgetLedger } from "../state/dynamo-budget-ledger";
import type { GatewayParts } from "./compose";
import { required } from "./lambda-runtime";

/** What prices and budgets batches: only the Lambdas that start or settle batches take it (the price dataset is large). */
export type Spending = Pick<GatewayParts, "prices" | "budgets">;

/** Prices (the dataset, PRICE_OVERRIDES and MODEL_ALLOWLIST) and budgets (the table), from the Lambda environment. */
export const spendingFromEnv = (env: NodeJS.ProcessEnv): Spending => ({
  prices: priceBook(priceOverridesFromEnv(env), modelAllowlistFromEnv(env)),
  budgets: new DynamoBudgetLedger(new DynamoDBClient({}), required(env, "TABLE_NAME")),
});
