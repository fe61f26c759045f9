import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { configFromEnv, type GatewayConfig } from "../lambdas/core/config";
import type { FileDeps } from "../lambdas/core/files";
import { anthropicDialect } from "../lambdas/dialects/anthropic/dialect";
import { bedrockDialect } from "../lambdas/dialects/bedrock/dialect";
import { bedrockFilesDialect } from "../lambdas/dialects/bedrock/s3-dialect";
import { genAiDialect } from "../lambdas/dialects/genai/dialect";
import { openAiDialect } from "../lambdas/dialects/openai/dialect";
import { createDialectHandler } from "../lambdas/http/dialect-handler";
import { DynamoRepository } from "../lambdas/state/dynamo-repository";
import { S3BlobStore } from "../lambdas/state/s3-blob-store";
import { localNames, startEmulators } from "./emulators";
import { type Mount, serveThroughHandler } from "./http-adapter";

/** Options of the local gateway; every one has an embedded default. */
export interface LocalGatewayOptions {
  /** @default 8080 (0 picks a free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Where the emulated DynamoDB and S3 keep their state. @default ".finops-local" */
  dataDir?: string;
  /** Overrides of the handlers' config. @default from the environment */
  config?: Partial<GatewayConfig>;
}

/** A running local gateway. */
export interface LocalGateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** The SDK mounts, most specific first (as API Gateway matches `/bedrock/files` before `/bedrock`). */
const mountsFor = (deps: FileDeps): Mount[] => [
  { prefix: "/bedrock/files", handler: createDialectHandler(bedrockFilesDialect()) },
  { prefix: "/bedrock", handler: createDialectHandler(bedrockDialect()) },
  { prefix: "/openai", handler: createDialectHandler(openAiDialect(deps)) },
  { prefix: "/anthropic", handler: createDialectHandler(anthropicDialect()) },
  { prefix: "/genai", handler: createDialectHandler(genAiDialect()) },
];

/**
 * Starts the gateway on a local port: the same dialect handlers as in Lambda behind an adapter that builds
 * API Gateway events, with DynamoDB and S3 emulated in-process.
 */
export const startLocalGateway = async (options: LocalGatewayOptions = {}): Promise<LocalGateway> => {
  const dataDir = resolve(options.dataDir ?? ".finops-local");
  const emulators = await startEmulators(dataDir);
  const deps: FileDeps = {
    repo: new DynamoRepository(emulators.dynamo, localNames.table),
    blobs: new S3BlobStore(emulators.s3, localNames.bucket),
    config: { ...configFromEnv(process.env), ...options.config },
  };
  const mounts = mountsFor(deps);
  const server = createServer((request, response) => {
    if (request.url === "/health") {
      response.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    serveThroughHandler(request, response, mounts).catch((error: unknown) => {
      console.error("local adapter failure", error);
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
      response.end('{"message":"Internal server error"}');
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject).listen(options.port ?? 8080, options.host ?? "127.0.0.1", resolveListen);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await emulators.close();
    },
  };
};
