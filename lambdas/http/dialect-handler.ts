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
  /** Served to anyone, no credential read (the console's own files, which hold no data). @default false */
  public?: boolean;
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

/** The request's path as `/{mount}/{rest}`, whatever base path or stage preceded the mount. */
export const pathUnderMount = (event: APIGatewayProxyEvent, mount: string): string => {
  const proxy = event.pathParameters?.proxy;
  if (event.resource === `/${mount}/{proxy+}` && proxy !== undefined) return `/${mount}/${proxy}`;
  if (event.resource === `/${mount}`) return `/${mount}`;
  return event.path; // an event not shaped by this API's resources (hand-made in a test)
};

/** What every log line of a request carries: its batch id (where the route names one) and tenant hash. */
const logContext = new WeakMap<Context, { batchId?: string; tenant?: string; route?: string }>();
const startTimes = new WeakMap<Context, number>();

/** Told of each request: who called about which batch (before the route runs), and how it was answered. */
export interface RequestObserver {
  identified?(keys: { batchId?: string; tenant?: string }): void;
  /** `route` is the route table's `METHOD /path` (`unmatched` for a URL no route takes). */
  answered?(route: string, status: number, milliseconds: number): void;
}

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
  observer: RequestObserver = {},
): ProxyHandler => {
  const routes = dialect.routes.map((route) => ({
    method: route.method,
    path: `/${mount}${route.path}`,
    handler: async (event: APIGatewayProxyEvent, context: Context) => {
      const request = toHttpRequest(event);
      const batchId = request.params.batchId ?? request.params.jobIdentifier;
      if (!route.public) request.tenant = await authenticator.tenantFor(request, dialect.presented(request));
      // The tenant is already a salted hash of the credential; the credential itself is never logged. Kept per
      // invocation (not as logger state), so concurrent requests of the local server never mix their keys.
      const keys = { ...(batchId && { batchId }), ...(request.tenant && { tenant: request.tenant }) };
      logContext.set(context, { ...keys, route: `${route.method} ${route.path}` });
      observer.identified?.(keys);
      if (request.tenant) await limiter.request(request.tenant);
      return route.handler(request);
    },
  }));
  // What this mount serves, for a URL no route takes: the resources by name, so a wrong base URL shows the right one.
  const served = [...new Set(dialect.routes.map((route) => `/${mount}${route.path.split("/").slice(0, 2).join("/")}`))];
  const router = httpRouterHandler({
    routes,
    notFoundResponse: ({ method, path }: { method: string; path: string }) => {
      throw new NotFoundError(
        `Unknown request URL: ${method} ${path}. Here /${mount} serves the ${dialect.name} SDK's ` +
          `${served.join(", ")}: point the SDK's base URL at {gateway URL}/${mount}.`,
      );
    },
  });
  // Routes match the path under the mount (from `resource` and `{proxy+}`), never the event's full path: behind a
  // custom domain with a base path mapping, `path` starts with the base path and nothing would match.
  const routeByMount = (event: APIGatewayProxyEvent, context: Context) =>
    (router as unknown as ProxyHandler)({ ...event, path: pathUnderMount(event, mount) }, context);
  const handler = middy<APIGatewayProxyEvent, HttpResponse>().handler(routeByMount);
  const answered = (context: Context, status: number) =>
    observer.answered?.(
      logContext.get(context)?.route ?? "unmatched",
      status,
      Date.now() - (startTimes.get(context) ?? Date.now()),
    );
  handler.use({
    before: async (request) => {
      startTimes.set(request.context, Date.now());
    },
    after: async (request) => {
      answered(request.context, request.response?.statusCode ?? 200);
    },
    onError: async (request) => {
      const error = toGatewayError(request.error);
      if (error.statusCode >= 500)
        logger.error("request failed", {
          ...logContext.get(request.context),
          frontDoor: dialect.name,
          error: request.error as Error,
        });
      const response = dialect.renderError(error);
      if (error instanceof RateLimitError)
        response.headers = { ...response.headers, "retry-after": String(error.retryAfterSeconds) };
      request.response = response;
      answered(request.context, response.statusCode);
    },
  });
  return handler as unknown as ProxyHandler;
};
