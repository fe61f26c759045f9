import { Logger } from "@aws-lambda-powertools/logger";
import middy from "@middy/core";
import httpRouterHandler, { type Method } from "@middy/http-router";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { type GatewayError, NotFoundError, RateLimitError, toGatewayError } from "../core/errors";
import { type Limiter, noLimits } from "../core/limits";
import { type Authenticator, openAuthenticator, type Presented } from "./authenticator";
import { type HttpRequest, toHttpRequest } from "./request";
import type { HttpResponse } from "./response";

/** One row of a dialect's route table. */
export interface Route {
  method: Method;
  /** Full resource path, with `{name}` parameters, e.g. `/openai/files/{fileId}`. */
  path: string;
  handler: (request: HttpRequest) => Promise<HttpResponse>;
}

/** What a dialect gives the shared handler: its routes, how its SDK presents credentials, and how it expects errors. */
export interface DialectDefinition {
  name: string;
  routes: Route[];
  /** Where this SDK puts its credential on a request. */
  presented: (request: HttpRequest) => Presented;
  renderError: (error: GatewayError) => HttpResponse;
}

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<HttpResponse>;

/** The handlers' logger: 5xx failures only, never request headers or bodies. */
export const gatewayLogger = new Logger({ serviceName: "finops-gateway" });

/**
 * The Lambda entry point of a dialect: middy + http-router over the dialect's route table, the caller
 * authenticated before any route runs, and one error middleware that renders every failure in the dialect's
 * envelope. 5xx details are logged, not shown.
 */
export const createDialectHandler = (
  dialect: DialectDefinition,
  authenticator: Authenticator = openAuthenticator,
  limiter: Limiter = noLimits,
): ProxyHandler => {
  const routes = dialect.routes.map((route) => ({
    method: route.method,
    path: route.path,
    handler: async (event: APIGatewayProxyEvent) => {
      const request = toHttpRequest(event);
      request.tenant = await authenticator.tenantFor(request, dialect.presented(request));
      if (request.tenant) await limiter.request(request.tenant);
      return route.handler(request);
    },
  }));
  const router = httpRouterHandler({
    routes,
    notFoundResponse: ({ method, path }: { method: string; path: string }) => {
      throw new NotFoundError(`Unknown request URL: ${method} ${path}.`);
    },
  });
  const handler = middy<APIGatewayProxyEvent, HttpResponse>().handler(router as never);
  handler.use({
    onError: async (request) => {
      const error = toGatewayError(request.error);
      if (error.statusCode >= 500)
        gatewayLogger.error("request failed", { dialect: dialect.name, error: request.error as Error });
      const response = dialect.renderError(error);
      if (error instanceof RateLimitError)
        response.headers = { ...response.headers, "retry-after": String(error.retryAfterSeconds) };
      request.response = response;
    },
  });
  return handler as unknown as ProxyHandler;
};
