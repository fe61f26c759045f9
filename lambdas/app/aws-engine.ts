import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type BatchEngine, defaultPollSchedule, type PollSchedule } from "../core/batch-engine";
import { ConfigurationError } from "../core/errors";
import type { ProviderAdapters } from "../core/ports";
import { dialects } from "../dialects/registry";
import { engineMetrics, publishUpstreamMetrics } from "../metrics";
import { createProviders, providerWithKey } from "../providers/registry";
import { type ProviderSettings, providerSettingsFromEnv } from "../providers/settings";
import { DynamoQuotaSlots } from "../state/dynamo-quota-slots";
import { EventBridgeBus } from "../state/eventbridge-bus";
import { awsDeps } from "./aws";
import { blobsFromEnv } from "./aws-blobs";
import { spendingFromEnv } from "./aws-spending";
import { composeEngine } from "./compose";
import { required } from "./lambda-runtime";

/** The poll schedule, from POLL_MIN_SECONDS, POLL_FRACTION and POLL_CAP_SECONDS. */
export const pollScheduleFromEnv = (env: NodeJS.ProcessEnv): PollSchedule => ({
  minSeconds: Number(env.POLL_MIN_SECONDS ?? defaultPollSchedule.minSeconds),
  fraction: Number(env.POLL_FRACTION ?? defaultPollSchedule.fraction),
  capSeconds: Number(env.POLL_CAP_SECONDS ?? defaultPollSchedule.capSeconds),
});

/**
 * The provider keys secret as `{"OPENAI_API_KEY": "…", …}`. Anything else is a deployment fault that fails the
 * batch with this reason, rather than running it as though no provider had a key.
 */
export const parseProviderKeys = (text: string | undefined, secretId: string): Record<string, string> => {
  const fix = `Set it to a JSON object of keys, e.g. {"OPENAI_API_KEY": "sk-..."} (an empty {} for none).`;
  let value: unknown;
  try {
    value = JSON.parse(text ?? "");
  } catch {
    throw new ConfigurationError(`The provider keys secret ${secretId} is not JSON. ${fix}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigurationError(`The provider keys secret ${secretId} is not a JSON object. ${fix}`);
  }
  const wrong = Object.entries(value).find(([, key]) => typeof key !== "string");
  if (wrong) throw new ConfigurationError(`The provider keys secret ${secretId}: ${wrong[0]} is not a string. ${fix}`);
  return value as Record<string, string>;
};

/**
 * The batch task Lambda's engine. Provider keys are read from the stack's secret on the first task that calls an
 * upstream (PROVIDER_KEYS_SECRET_ARN), so the `fail` task still runs when the secret is unreadable.
 */
export const awsEngine = (env: NodeJS.ProcessEnv = process.env): BatchEngine => {
  publishUpstreamMetrics();
  const deps = awsDeps(env, { spending: spendingFromEnv, blobs: blobsFromEnv });
  let settings: Promise<ProviderSettings> | undefined;
  const loadSettings = () => {
    settings ??= (async () => {
      const secretId = required(env, "PROVIDER_KEYS_SECRET_ARN");
      const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
      return providerSettingsFromEnv(env, parseProviderKeys(secret.SecretString, secretId));
    })().catch((error: unknown) => {
      settings = undefined; // read it again on the next task
      throw error;
    });
    return settings;
  };
  let adapters: ProviderAdapters | undefined;
  return composeEngine(deps, dialects, {
    bus: new EventBridgeBus(new EventBridgeClient({}), required(env, "EVENT_BUS_NAME")),
    providers: async () => {
      adapters ??= createProviders(await loadSettings(), deps.blobs);
      return adapters;
    },
    providerWithKey: async (provider, key) => providerWithKey(await loadSettings(), deps.blobs)(provider, key),
    poll: pollScheduleFromEnv(env),
    metrics: engineMetrics(),
    quotas: new DynamoQuotaSlots(new DynamoDBClient({}), required(env, "TABLE_NAME")),
  });
};
