import { Tracer } from "@aws-lambda-powertools/tracer";

/**
 * The X-Ray tracer of every Lambda (Powertools): a segment per invocation, subsegments for each AWS SDK call and
 * for each upstream call (http, https and fetch are captured). Off outside Lambda, so local mode traces nothing.
 */
export const tracer = new Tracer({ serviceName: "finops-gateway" });
