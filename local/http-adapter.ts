import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { PassThrough } from "node:stream";
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent, Context } from "aws-lambda";
import { lambdaPayloadLimitBytes } from "../lambdas/core/config";
import { unknownPathAnswer } from "../lambdas/dialects/front-doors";
import type { ProxyHandler } from "../lambdas/http/dialect-handler";
import { apiGatewayBodyLimitBytes, stagedStoreFailed } from "../lambdas/http/limits";
import type { StagedAuthorizer } from "../lambdas/http/staged-authorizer";
import { headerContextKey, stagedStatuses } from "../lambdas/http/staged-contract";
import type { StreamingHandler } from "../lambdas/http/streaming";
import {
  apiGatewayTooLarge,
  lambdaTooLarge,
  requestHeadersForLambda,
  responseHeadersFromLambda,
} from "./api-gateway-headers";
import { type Forwarded, localOriginHost, type ViewerRequest } from "./front";

/** A path prefix served by one dialect handler, as the API's `{prefix}/{proxy+}` resources are. */
export interface Mount {
  prefix: string;
  handler: ProxyHandler;
  /** The same handler as a streaming Lambda, for a front door whose integration streams its responses. */
  streaming?: StreamingHandler;
}

class BodyTooLarge extends Error {}

const readBody = async (request: IncomingMessage): Promise<Buffer> => {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > apiGatewayBodyLimitBytes) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > apiGatewayBodyLimitBytes) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
};

const group = (entries: Iterable<[string, string]>) => {
  // Names the client chose: objects without a prototype, as every parser of the gateway builds them.
  const single = Object.create(null) as Record<string, string>;
  const multi = Object.create(null) as Record<string, string[]>;
  for (const [key, value] of entries) {
    single[key] = value;
    multi[key] = [...(multi[key] ?? []), value];
  }
  return { single, multi };
};

/** Where a local request arrived at the API, after the front. */
export interface Arrival {
  /** The front door's mount (`/openai`, `/bedrock/files`). */
  mount: Pick<Mount, "prefix">;
  /** The API resource that matched and its path parameters, when not the mount's own `{proxy+}` pair. */
  resource?: { path: string; params: Record<string, string> };
  /** The path as the front forwarded it (no base path, no stage), still percent-encoded, as API Gateway passes it. */
  path: string;
}

/** The API's stage: the origin path the front forwards under. */
const stage = "v1";

/**
 * Builds the API Gateway REST (v1) proxy event Lambda would receive for a request the front forwarded to the API's
 * own endpoint: `path` and `resource` without the stage, `requestContext.path` with it; paths stay percent-encoded
 * while query values arrive decoded (a repeated key: its last value, all in `multiValue…`); the headers are the ones
 * API Gateway passes (local/api-gateway-headers.ts); the body is always base64.
 */
export const toProxyEvent = (
  request: IncomingMessage,
  forwarded: Pick<Forwarded, "headers">,
  body: Buffer,
  { mount, path, resource: matched }: Arrival,
  search: URLSearchParams,
): APIGatewayProxyEvent => {
  // API Gateway adds the forwarding and trace headers; locally the scheme is plain HTTP.
  const added: [string, string][] = [
    ["X-Forwarded-Proto", "http"],
    ["X-Forwarded-Port", String(request.socket.localPort ?? "")],
    [
      "X-Amzn-Trace-Id",
      `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, "").slice(0, 24)}`,
    ],
  ];
  const kept = requestHeadersForLambda(forwarded.headers);
  const headers = group([...kept, ...added]);
  const query = group(search.entries());
  const hasQuery = [...search.keys()].length > 0;
  const atMount = path === mount.prefix;
  const resource = matched?.path ?? (atMount ? mount.prefix : `${mount.prefix}/{proxy+}`);
  const pathParameters = matched ? matched.params : atMount ? null : { proxy: path.slice(mount.prefix.length + 1) };
  return {
    resource,
    path,
    httpMethod: request.method ?? "GET",
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: hasQuery ? query.single : null,
    multiValueQueryStringParameters: hasQuery ? query.multi : null,
    pathParameters,
    stageVariables: null,
    body: body.byteLength > 0 ? body.toString("base64") : null,
    isBase64Encoded: body.byteLength > 0,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      authorizer: undefined,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: request.method ?? "GET",
      identity: {
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
      } as APIGatewayProxyEvent["requestContext"]["identity"],
      path: `/${stage}${path}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: "local",
      resourcePath: resource,
      domainName: localOriginHost,
    },
  };
};

/**
 * What API Gateway does with a Lambda proxy response body: a base64 body becomes bytes only when the request's
 * first `Accept` value matches the API's binary media types. This API takes every type as binary, which matches
 * any value but not a missing header: without `Accept` (boto3's GetObject) the client gets the base64 text.
 */
export const responseBody = (result: { body: string; isBase64Encoded?: boolean }, accept: string | undefined) =>
  result.isBase64Encoded && accept ? Buffer.from(result.body, "base64") : Buffer.from(result.body ?? "", "utf8");

const lambdaContext = (name: string): Context => {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: "1024",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

const sendJson = (response: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  response
    .writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
    .end(text);
};

/** API Gateway's own 413 for a body over its 10 MB: not the SDK's envelope, which it cannot be made to send. */
const sendTooLargeAtGateway = (request: IncomingMessage, response: ServerResponse): void => {
  response.setHeader("connection", "close");
  response
    .writeHead(apiGatewayTooLarge.status, {
      "content-type": apiGatewayTooLarge.contentType,
      "content-length": apiGatewayTooLarge.body.length,
    })
    .end(apiGatewayTooLarge.body);
  request.destroy();
};

/**
 * Serves one Node request the way the deployed gateway would: through the front (the CloudFront Function and
 * CloudFront's forwarding), then API Gateway (its header table, its 10 MB limit) and the matching dialect handler
 * with Lambda's 6 MB event limit.
 */
export const serveThroughHandler = async (
  request: IncomingMessage,
  response: ServerResponse,
  mounts: Mount[],
  front: ViewerRequest,
  staged: { routes: StagedMount[]; store: StagedStore } = { routes: [], store: async () => ({}) },
): Promise<void> => {
  // Split by hand: URL parsing would resolve `..` and `%2E%2E` segments, changing the key a caller named.
  const [uri = "/", query = ""] = (request.url ?? "/").split(/\?(.*)/s);
  const search = new URLSearchParams(query);
  const viewer = front({
    method: request.method ?? "GET",
    uri,
    headers: request.rawHeaders,
    ip: request.socket.remoteAddress ?? "127.0.0.1",
  });
  if (!("uri" in viewer)) {
    // CloudFront answers what its function answered; a body still on its way is not read.
    response.setHeader("connection", "close");
    response
      .writeHead(viewer.status, { ...viewer.headers, "content-length": Buffer.byteLength(viewer.body) })
      .end(viewer.body);
    request.destroy();
    return;
  }
  const path = viewer.uri;
  // A method on a static resource wins over the `{proxy+}` of its mount, as API Gateway matches them.
  for (const route of staged.routes) {
    const params = route.method === request.method ? matchResource(route.resource, path) : undefined;
    if (!params) continue;
    const arrival = { mount: { prefix: route.resource }, path, resource: { path: route.resource, params } };
    await serveStaged(request, response, route, viewer, arrival, search, staged.store);
    return;
  }
  const mount = mounts.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`));
  if (!mount) {
    request.resume();
    // The API's root mock: a path outside every mount names the mounts.
    response
      .writeHead(unknownPathAnswer.status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(unknownPathAnswer.body),
      })
      .end(unknownPathAnswer.body);
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(request);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    sendTooLargeAtGateway(request, response);
    return;
  }
  const event = toProxyEvent(request, viewer, body, { mount, path }, search);
  if (Buffer.byteLength(JSON.stringify(event)) > lambdaPayloadLimitBytes) {
    // Lambda refuses the invoke and API Gateway answers its own words (a body sent without Content-Length, which the
    // front could not weigh).
    response
      .writeHead(lambdaTooLarge.status, {
        "content-type": "application/json",
        "x-amzn-errortype": "BadRequestException",
      })
      .end(lambdaTooLarge.body);
    return;
  }
  const context = lambdaContext(mount.prefix.slice(1).replace(/\//g, "-"));
  // HEAD of a streaming door goes to its buffered twin (the deployed API's HEAD method), as in AWS.
  if (mount.streaming && request.method !== "HEAD") {
    await relayStream(mount.streaming, event, context, request, response);
    return;
  }
  const result = await mount.handler(event, context);
  const headers: Record<string, string | string[]> = {
    ...(result.multiValueHeaders as Record<string, string[]> | undefined),
  };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const accept = request.headers.accept?.split(",")[0]?.trim() || undefined;
  const payload = responseBody(result, accept);
  const sent = responseHeadersFromLambda(headers);
  // A HEAD answer keeps the object's length; a 204 has no body at all.
  if (request.method !== "HEAD" && result.statusCode !== 204) sent["content-length"] = String(payload.byteLength);
  response.writeHead(result.statusCode, sent).end(request.method === "HEAD" ? undefined : payload);
};

/** A staged route as the local server runs it (lambdas/dialects/staged-routes.ts): its resource and authorizer. */
export interface StagedMount {
  method: string;
  /** The API resource path, e.g. `/genai/upload-sessions/{session}`. */
  resource: string;
  authorizer: StagedAuthorizer;
  responseHeaders: readonly string[];
  storeHeaders: readonly string[];
}

/**
 * Stores an admitted body where API Gateway's S3 integration would (`staged/uploads/{session}/chunks/{chunk}`) and
 * gives S3's response headers as S3 names them (`ETag`).
 */
export type StagedStore = (
  session: string,
  chunk: string,
  body: Buffer,
  meta: string,
) => Promise<Record<string, string>>;

/** The status the deployed template sets: the authorizer's, where it is one of its branches; else S3's 200. */
const stagedStatus = (status: string | number | undefined): number =>
  (stagedStatuses as readonly number[]).find((code) => String(code) === String(status)) ?? 200;

/** The resource's path parameters when `path` matches it (`{name}` is one segment, `{name+}` the rest). */
export const matchResource = (resource: string, path: string): Record<string, string> | undefined => {
  const names: string[] = [];
  const pattern = resource.replace(/[.*?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)(\+?)\}/g, (_, name: string, greedy) => {
    names.push(name);
    return greedy ? "(.+)" : "([^/]+)";
  });
  const match = new RegExp(`^${pattern}$`).exec(path);
  return match ? Object.fromEntries(names.map((name, i) => [name, match[i + 1]!])) : undefined;
};

/**
 * Serves a staged route as the deployed API does (lib/constructs/gateway-api.ts): the Lambda authorizer sees the
 * request without its body; denied, the caller gets 403 with the body the authorizer named; allowed, the body
 * (at most 10 MB, API Gateway's limit, and no Lambda's 6 MB) is stored in the bucket and the caller gets the
 * status, headers and body the authorizer named.
 */
export const serveStaged = async (
  request: IncomingMessage,
  response: ServerResponse,
  route: StagedMount,
  forwarded: Forwarded,
  arrival: Arrival,
  search: URLSearchParams,
  store: StagedStore,
): Promise<void> => {
  const {
    body: _body,
    isBase64Encoded: _encoded,
    ...event
  } = toProxyEvent(request, forwarded, Buffer.alloc(0), arrival, search);
  const authorizerEvent = {
    ...event,
    type: "REQUEST",
    methodArn: `arn:aws:execute-api:local:000000000000:local/v1/${event.httpMethod}${route.resource.replace(/\{[^}]+\}/g, "*")}`,
  } as unknown as APIGatewayRequestAuthorizerEvent;
  const answer = await route.authorizer(authorizerEvent);
  const context = (answer.context ?? {}) as Record<string, string | number>;
  const allowed = answer.policyDocument.Statement.some((s) => "Effect" in s && s.Effect === "Allow");
  if (!allowed) {
    request.resume();
    const text = String(context.body ?? "");
    response
      .writeHead(403, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
      .end(text);
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(request);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    sendTooLargeAtGateway(request, response);
    return;
  }
  let stored: Record<string, string>;
  try {
    stored = await store(String(context.session), String(context.chunk), body, String(context.meta ?? ""));
  } catch (error) {
    console.error("staged route: the bucket did not take the body", error);
    sendJson(response, 503, stagedStoreFailed);
    return;
  }
  const headers: Record<string, string> = {};
  // Integration response mappings name S3's headers case-sensitively, as this lookup does.
  for (const name of route.storeHeaders) if (stored[name] !== undefined) headers[name.toLowerCase()] = stored[name];
  for (const name of route.responseHeaders) {
    const value = String(context[headerContextKey(name)] ?? "");
    if (value) headers[name] = value;
  }
  const text = String(context.body ?? "");
  response
    .writeHead(stagedStatus(context.status), { ...headers, "content-length": String(Buffer.byteLength(text)) })
    .end(text);
};

const preludeEnd = Buffer.alloc(8);

/**
 * Runs a streaming handler and relays what it writes as API Gateway's `STREAM` integration does: the prelude (JSON
 * status and headers, ended by 8 NUL bytes) becomes the response head, every byte after it the body, sent as it
 * comes (with backpressure), whatever its size.
 */
const relayStream = async (
  handler: StreamingHandler,
  event: APIGatewayProxyEvent,
  context: Context,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> => {
  const out = new PassThrough();
  const run = handler(event, out, context).catch((error: unknown) => out.destroy(error as Error));
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of out) {
    let body = chunk as Buffer;
    if (head) {
      head = Buffer.concat([head, body]);
      const end = head.indexOf(preludeEnd);
      if (end < 0) continue;
      const prelude = JSON.parse(head.subarray(0, end).toString("utf8")) as {
        statusCode: number;
        headers?: Record<string, string>;
        multiValueHeaders?: Record<string, string[]>;
      };
      response.writeHead(prelude.statusCode, { ...prelude.multiValueHeaders, ...prelude.headers });
      body = head.subarray(end + preludeEnd.length);
      head = undefined;
    }
    if (request.method === "HEAD" || body.byteLength === 0) continue;
    if (!response.write(body)) await once(response, "drain");
  }
  await run;
  if (head) throw new Error("The streaming handler ended without a response prelude.");
  response.end();
};
