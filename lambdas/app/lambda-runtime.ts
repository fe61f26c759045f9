import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { ConfigurationError } from "../core/errors";
import { logger } from "../logger";
import { tracer } from "../tracer";

// What every Lambda entry point shares, and nothing more: a handler imports this without the gateway's stores.

/**
 * Every Lambda entry point, observed: Powertools' logger (the invocation's context on each line, keys appended by
 * the handler reset after it) and tracer (an X-Ray segment per invocation) around the handler.
 */
export const observed = <E, R>(handler: (event: E, context: Context) => Promise<R>) =>
  middy(handler)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true })) as unknown as (event: E, context: Context) => Promise<R>;

/** An AWS SDK client whose calls are traced as X-Ray subsegments. */
export const traced = <C>(client: C): C => tracer.captureAWSv3Client(client);

/** An environment variable the stack sets; its absence is a deployment fault, named as such. */
export const required = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name];
  if (!value) throw new ConfigurationError(`Missing environment variable ${name}: the stack sets it on this Lambda.`);
  return value;
};
