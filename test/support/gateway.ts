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
