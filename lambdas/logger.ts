import { Logger } from "@aws-lambda-powertools/logger";

/**
 * The one structured logger of every Lambda and of local mode (Powertools, JSON lines). Handlers add the batch
 * id and the tenant (a salted hash of the credential) as keys; nothing logs a credential, a header or a prompt.
 */
export const logger = new Logger({ serviceName: "finops-gateway" });
