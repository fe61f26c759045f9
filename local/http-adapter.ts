import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { lambdaPayloadLimitBytes } from "../lambdas/core/config";
import type { ProxyHandler } from "../lambdas/http/dialect-handler";
import { apiGatewayBodyLimitBytes, tooLargeEnvelope, tooLargeMessage } from "../lambdas/http/limits";

/** A path prefix served by one dialect handler, as the API's `{prefix}/{proxy+}` resources are. */
export interface Mount {
  prefix: string;
  handler: ProxyHandler;
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

const pairs = (raw: string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
};

const group = (entries: Iterable<[string, string]>) => {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of entries) {
    single[key] = value;
    multi[key] = [...(multi[key] ?? []), value];
  }
  return { single, multi };
};

/** Builds the API Gateway REST (v1) proxy event Lambda would receive for this request. */
export const toProxyEvent = (
  request: IncomingMessage,
  body: Buffer,
  mount: Mount,
  path: string,
  search: URLSearchParams,
): APIGatewayProxyEvent => {
  // API Gateway adds the forwarding headers; locally the scheme is plain HTTP.
  const forwarded: [string, string][] = [
    ["X-Forwarded-Proto", "http"],
    ["X-Forwarded-For", request.socket.remoteAddress ?? "127.0.0.1"],
    ["X-Forwarded-Port", String(request.socket.localPort ?? "")],
  ];
  const headers = group([...pairs(request.rawHeaders), ...forwarded]);
  const query = group(search.entries());
  const hasQuery = [...search.keys()].length > 0;
  return {
    resource: `${mount.prefix}/{proxy+}`,
    path,
    httpMethod: request.method ?? "GET",
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: hasQuery ? query.single : null,
    multiValueQueryStringParameters: hasQuery ? query.multi : null,
    pathParameters: { proxy: path.slice(mount.prefix.length + 1) },
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
      path,
      stage: "local",
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: "local",
      resourcePath: `${mount.prefix}/{proxy+}`,
      domainName: request.headers.host,
    },
  };
};

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

/**
 * Serves one Node request through the matching dialect handler the way API Gateway and Lambda would,
 * with the same payload limits: 10 MB at the gateway, 6 MB for the whole Lambda event.
 */
export const serveThroughHandler = async (
  request: IncomingMessage,
  response: ServerResponse,
  mounts: Mount[],
): Promise<void> => {
  // Split by hand: URL parsing would resolve `..` and `%2E%2E` segments, changing the key a caller named.
  const [path = "/", query = ""] = (request.url ?? "/").split(/\?(.*)/s);
  const search = new URLSearchParams(query);
  const mount = mounts.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`));
  if (!mount) {
    request.resume();
    sendJson(response, 404, { message: "Not Found" });
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(request);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    response.setHeader("connection", "close");
    sendJson(response, 413, tooLargeEnvelope(tooLargeMessage));
    request.destroy();
    return;
  }
  const event = toProxyEvent(request, body, mount, path, search);
  if (Buffer.byteLength(JSON.stringify(event)) > lambdaPayloadLimitBytes) {
    sendJson(response, 413, tooLargeEnvelope(tooLargeMessage));
    return;
  }
  const result = await mount.handler(event, lambdaContext(mount.prefix.slice(1).replace(/\//g, "-")));
  const headers: Record<string, string | string[]> = {
    ...(result.multiValueHeaders as Record<string, string[]> | undefined),
  };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const payload = result.isBase64Encoded ? Buffer.from(result.body, "base64") : Buffer.from(result.body ?? "", "utf8");
  // A HEAD answer keeps the object's length; a 204 has no body at all.
  if (request.method !== "HEAD" && result.statusCode !== 204) headers["content-length"] = String(payload.byteLength);
  response.writeHead(result.statusCode, headers).end(request.method === "HEAD" ? undefined : payload);
};
