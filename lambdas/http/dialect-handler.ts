import middy from "@middy/core";
import httpRouterHandler, { type Method } from "@middy/http-router";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { type GatewayError, NotFoundError, RateLimitError, toGatewayError } from "../core/errors";
import { type Limiter, noLimits } from "../core/limits";
import { logger } from "../logger";
import { type Authenticator, openAuthenticator, type Presented } from "./authenticator";
import { type HttpRequest, toHttpRequest } from "./request";
import type { HttpResponse } from "./response";

/** One row of a front door's route table. */
export interface Route {
  method: Method;
  /** Path relative to the front door's mount, with `{name}` parameters, e.g. `/files/{fileId}` ("" is the mount). */
  path: string;
  handler: (request: HttpRequest) => Promise<HttpResponse>;
}

/** What a front door gives the shared handler: routes, how its SDK presents credentials, how it expects errors. */
export interface FrontDoor {
  /** For logs. */
  name: string;
  routes: Route[];
  /** Where this SDK puts its credential on a request. */
  presented: (request: HttpRequest) => Presented;
  renderError: (error: GatewayError) => HttpResponse;
}

/** What every log line of a request carries: its batch id (where the route names one) and tenant hash. */
const logContext = new WeakMap<APIGatewayProxyEvent, { batchId?: string; tenant?: string }>();

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<HttpResponse>;

/**
 * The Lambda entry point of a dialect: middy + http-router over the dialect's route table, the caller
 * authenticated before any route runs, and one error middleware that renders every failure in the dialect's
 * envelope. 5xx details are logged, not shown.
 */
export const createDialectHandler = (
  dialect: FrontDoor,
  mount: string,
  authenticator: Authenticator = openAuthenticator,
  limiter: Limiter = noLimits,
): ProxyHandler => {
  const routes = dialect.routes.map((route) => ({
    method: route.method,
    path: `/${mount}${route.path}`,
    handler: async (event: APIGatewayProxyEvent) => {
      const request = toHttpRequest(event);
      const batchId = request.params.batchId ?? request.params.jobIdentifier;
      request.tenant = await authenticator.tenantFor(request, dialect.presented(request));
      // The tenant is already a salted hash of the credential; the credential itself is never logged. Kept per
      // event (not as logger state), so concurrent requests of the local server never mix their keys.
      logContext.set(event, { ...(batchId && { batchId }), ...(request.tenant && { tenant: request.tenant }) });
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
        logger.error("request failed", {
          ...logContext.get(request.event),
          frontDoor: dialect.name,
          error: request.error as Error,
        });
      const response = dialect.renderError(error);
      if (error instanceof RateLimitError)
        response.headers = { ...response.headers, "retry-after": String(error.retryAfterSeconds) };
      request.response = response;
    },
  });
  return handler as unknown as ProxyHandler;
};
