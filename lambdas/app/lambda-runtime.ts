import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { ConfigurationError } from "../core/errors";
import { logger } from "../logger";

// What every Lambda entry point shares, and nothing more: a handler imports this without the gateway's stores.

/**
 * Every Lambda entry point, observed: Powertools' logger puts the invocation's context on each line, and the keys a
 * handler appends are reset after it. (Traces need no code: Lambda's active tracing records each invocation.)
 */
export const observed = <E, R>(handler: (event: E, context: Context) => Promise<R>) =>
  middy(handler).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as (
    event: E,
    context: Context,
  ) => Promise<R>;

/** An environment variable the stack sets; its absence is a deployment fault, named as such. */
export const required = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name];
  if (!value) throw new ConfigurationError(`Missing environment variable ${name}: the stack sets it on this Lambda.`);
  return value;
};
