import type { APIGatewayProxyEvent } from "aws-lambda";
import { callerKey, callerKeyed } from "../core/caller-keys";
import { BadRequestError } from "../core/errors";
import { restoreViewerHeaders } from "./front";

/** An HTTP request as the dialects see it: decoded once from the API Gateway (REST, v1) proxy event. */
export interface HttpRequest {
  method: string;
  /** The resource path (without the stage), as routes match it. */
  path: string;
  /** The path exactly as the caller sent it (stage included, percent-encoding kept), as SigV4 signed it. */
  rawPath: string;
  /** The authenticated tenant, set by the dialect handler before the route runs. */
  tenant?: string;
  /** The name of the gateway credential that authenticated it (none in open and pass-through modes). */
  credentialName?: string;
  /** In pass-through mode, the caller's own provider key, to run its batches with. */
  providerKey?: string;
  /** Set by a staged route's authorizer: the body goes to the bucket after this request is admitted, unseen. */
  bodyUnseen?: boolean;
  /** Route parameters, percent-decoded. */
  params: Record<string, string>;
  /** Query parameters; a repeated key keeps its last value (the SDKs never repeat the keys we read). */
  query: Record<string, string>;
  /** Header names lowercased. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** Scheme, host and stage path of the gateway as the caller reached it, for absolute URLs in responses. */
  baseUrl: string;
}

const lowerKeys = (headers: Record<string, string | undefined> | null): Record<string, string> => {
  const out = callerKeyed<string>();
  for (const [name, value] of Object.entries(headers ?? {}))
    if (value !== undefined) out[callerKey(name.toLowerCase(), "Header")] = value;
  return out;
};

/** The query's fields (API Gateway's decoded values), in a caller-keyed object. */
const queryOf = (query: Record<string, string | undefined> | null): Record<string, string> => {
  const out = callerKeyed<string>();
  for (const [name, value] of Object.entries(query ?? {}))
    if (value !== undefined) out[callerKey(name, "Query field")] = value;
  return out;
};

const decodeParams = (params: Record<string, string | undefined> | null): Record<string, string> => {
  const out = callerKeyed<string>();
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value === undefined) continue;
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      throw new BadRequestError(`Malformed percent-encoding in the path parameter '${name}'.`, { param: name });
    }
  }
  return out;
};

/** Builds the request view from a proxy event (the local server builds the same event). */
export const toHttpRequest = (event: APIGatewayProxyEvent): HttpRequest => {
  const headers = lowerKeys(event.headers);
  // Through the gateway's front (CloudFront), the client's own Authorization, Host and Content-Length come back from
  // the copies its function made; the API saw the stage as the first segment, which the client never sent.
  const viewer = restoreViewerHeaders(headers);
  const raw = event.body ?? "";
  const body = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  const proto = headers["x-forwarded-proto"] ?? "https";
  const host = headers.host ?? event.requestContext?.domainName ?? "localhost";
  // requestContext.path is the path the API was called with (with the stage or custom-domain base path); event.path
  // is the resource path, so what precedes it is the prefix every absolute URL we hand out must keep.
  let callerPath = event.requestContext?.path ?? event.path;
  const stage = `/${event.requestContext?.stage ?? ""}`;
  if (viewer && callerPath.startsWith(`${stage}/`)) callerPath = viewer.basePath + callerPath.slice(stage.length);
  const prefix = callerPath.endsWith(event.path) ? callerPath.slice(0, callerPath.length - event.path.length) : "";
  return {
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    rawPath: callerPath,
    params: decodeParams(event.pathParameters),
    query: queryOf(event.queryStringParameters),
    headers,
    body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    baseUrl: `${proto}://${host}${prefix}`,
  };
};

/**
 * The body as a JSON object; an empty body is `{}` (Python SDKs send `content-type: application/json` with no body),
 * and anything but an object is a 400 saying what it is.
 */
export const jsonBody = (request: HttpRequest): unknown => {
  if (request.body.byteLength === 0) return {};
  const text = Buffer.from(request.body).toString("utf8");
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new BadRequestError(
      `The request body is not valid JSON: ${cause instanceof Error ? cause.message : cause}.`,
      { cause },
    );
  }
  // Every JSON request of every SDK this gateway serves is an object: say so, rather than name a missing field.
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? "an array" : parsed === null ? "null" : `a ${typeof parsed}`;
    throw new BadRequestError(`The request body must be a JSON object, not ${kind}.`);
  }
  return parsed;
};

/**
 * Turns bracketed keys (`storage_config[s3][bucket]`, as the Python SDKs encode nested form fields and
 * query parameters) into nested objects; `k[]` collects a list. Every object is caller-keyed, and a name that would
 * reach a prototype (`__proto__[limit]`) is a 400 naming the field.
 */
export const unflattenBrackets = (entries: Iterable<[string, string]>): Record<string, unknown> => {
  const root = callerKeyed<unknown>();
  for (const [key, value] of entries) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match) {
      root[callerKey(key, "Field")] = value;
      continue;
    }
    const path = [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
    for (const segment of path) callerKey(segment, `Field ${JSON.stringify(key)}: the name`);
    let node: Record<string, unknown> = root;
    path.forEach((segment, index) => {
      const last = index === path.length - 1;
      const next = path[index + 1];
      if (last) {
        if (segment === "") return;
        node[segment] = value;
      } else if (next === "") {
        const list = Array.isArray(node[segment]) ? (node[segment] as unknown[]) : [];
        list.push(value);
        node[segment] = list;
      } else {
        const child = node[segment];
        node[segment] =
          typeof child === "object" && child !== null && !Array.isArray(child) ? child : callerKeyed<unknown>();
        node = node[segment] as Record<string, unknown>;
      }
    });
  }
  return root;
};
