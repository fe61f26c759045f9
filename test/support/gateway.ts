import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalGatewayOptions, startLocalGateway } from "../../local/server";

/**
 * Starts a local gateway on a free port with its own state directory (empty unless `dataDir` is given);
 * `close` keeps the state, `stop` also removes it.
 */
export const startTestGateway = async (options: Omit<LocalGatewayOptions, "port"> = {}) => {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "finops-test-")));
  const gateway = await startLocalGateway({ ...options, port: 0, dataDir });
  return {
    url: gateway.url,
    dataDir,
    gateway,
    close: () => gateway.close(),
    async stop() {
      await gateway.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};

/**
 * A gateway whose every provider takes jobs of at most 10 requests (and Bedrock jobs from 5 records), so a batch of a
 * few dozen requests runs as several parts; quick simulated jobs and polls. `env` adds settings.
 */
export const startPartsGateway = (options: Omit<LocalGatewayOptions, "port"> = {}) =>
  startTestGateway({
    simulators: { jobLatencyMs: 150 },
    runner: { pollWaitMs: 30, retryWaitMs: 20 },
    bedrockMinRecords: 5,
    ...options,
    env: {
      OPENAI_JOB_MAX_REQUESTS: "10",
      ANTHROPIC_JOB_MAX_REQUESTS: "10",
      GEMINI_JOB_MAX_REQUESTS: "10",
      BEDROCK_JOB_MAX_REQUESTS: "10",
      ...options.env,
    },
  });

/**
 * A gateway with auth on (as every deployed one runs) and one credential: its API key for the OpenAI, Anthropic and
 * GenAI SDKs and its AWS key pair for the AWS SDKs; quick simulated jobs, Bedrock jobs from `bedrockMinRecords`.
 */
export const startKeysGateway = async (name: string, bedrockMinRecords = 2) => {
  const gateway = await startTestGateway({
    auth: "keys",
    simulators: { jobLatencyMs: 150 },
    runner: { pollWaitMs: 30, retryWaitMs: 20 },
    bedrockMinRecords,
  });
  const credential = await gateway.gateway.createCredential(name);
  return {
    gateway,
    credential,
    key: credential.apiKey,
    access: { accessKeyId: credential.record.accessKeyId, secretAccessKey: credential.secretAccessKey },
  };
};
