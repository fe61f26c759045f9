import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalGatewayOptions, startLocalGateway } from "../../local/server";

/** Starts a local gateway on a free port with its own empty state; `stop` removes the state. */
export const startTestGateway = async (options: Omit<LocalGatewayOptions, "port" | "dataDir"> = {}) => {
  const dataDir = await mkdtemp(join(tmpdir(), "finops-test-"));
  const gateway = await startLocalGateway({ ...options, port: 0, dataDir });
  return {
    url: gateway.url,
    dataDir,
    async stop() {
      await gateway.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
