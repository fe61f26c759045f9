import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import { viewerRequestCode, viewerRequestFile } from "../lambdas/edge/viewer-request-code";

/**
 * The gateway's front as the deployed distribution runs it (lib/constructs/gateway-front.ts): the same CloudFront
 * Function, from the same file, on every local request, then what CloudFront itself does on the way to the API
 * (the origin request policy AllViewerExceptHostHeader and the cache policy CachingDisabled).
 */

/** A request as CloudFront forwards it to the API. */
export interface Forwarded {
  /** The path after the function (base path removed). */
  uri: string;
  /** Header pairs, lowercased names. */
  headers: [string, string][];
}

/** CloudFront's answer instead of forwarding (the function answered). */
export interface Answered {
  status: number;
  description: string;
  headers: Record<string, string>;
  body: string;
}

export type ViewerRequest = (request: {
  method: string;
  uri: string;
  /** Raw header pairs as the client sent them. */
  headers: readonly string[];
  ip: string;
}) => Forwarded | Answered;

/** The API's host as CloudFront reaches it (the origin's domain), which API Gateway hands the Lambda. */
export const localOriginHost = "local.execute-api.localhost";

/** Headers CloudFront does not expose to functions (edge function restrictions, "Disallowed headers"). */
const disallowed =
  /^(connection|expect|keep-alive|proxy-authenticate|proxy-authorization|proxy-connection|trailer|upgrade|x-accel-.*|x-amz-cf-.*|x-amzn-.*|x-cache|x-edge-.*|x-forwarded-proto|x-real-ip)$/;

const root = fileURLToPath(new URL("../", import.meta.url));

interface FunctionRequest {
  method: string;
  uri: string;
  querystring: Record<string, unknown>;
  headers: Record<string, { value: string; multiValue?: { value: string }[] }>;
  cookies: Record<string, unknown>;
}

/** A response the function makes itself (CloudFront answers it; nothing goes on). */
interface FunctionResponse {
  statusCode: number;
  statusDescription?: string;
  headers?: Record<string, { value: string }>;
  body?: string | { encoding: "text"; data: string };
}

/** Loads the CloudFront Function for a base path and returns the front that runs it. */
export const localFront = (basePath: string): ViewerRequest => {
  const code = viewerRequestCode(readFileSync(join(root, viewerRequestFile), "utf8"), basePath);
  const sandbox: { handler?: (event: unknown) => FunctionRequest | FunctionResponse } = {};
  runInNewContext(`${code}\nthis.handler = handler;`, sandbox, { filename: viewerRequestFile });
  const handler = sandbox.handler!;
  return ({ method, uri, headers: raw, ip }) => {
    const headers: FunctionRequest["headers"] = {};
    const hidden: [string, string][] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = raw[i + 1]!;
      if (disallowed.test(name)) {
        hidden.push([name, value]);
        continue;
      }
      const seen = headers[name];
      if (!seen) headers[name] = { value };
      else seen.multiValue = [...(seen.multiValue ?? [{ value: seen.value }]), { value }];
    }
    const event = {
      version: "1.0",
      context: { eventType: "viewer-request", distributionDomainName: "local.cloudfront.net" },
      viewer: { ip },
      request: { method, uri, querystring: {}, headers, cookies: {} },
    };
    const result = handler(event);
    if ("statusCode" in result) {
      return {
        status: result.statusCode,
        description: result.statusDescription ?? "",
        headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, { value }]) => [name, value])),
        body: typeof result.body === "string" ? result.body : (result.body?.data ?? ""),
      };
    }
    const forwarded: [string, string][] = [];
    for (const [name, header] of Object.entries(result.headers)) {
      // AllViewerExceptHostHeader: the API gets its own host. CachingDisabled keeps no Authorization in the cache key,
      // and CloudFront forwards that header then only on methods other than GET and HEAD.
      if (name === "host") continue;
      if (name === "authorization" && (method === "GET" || method === "HEAD")) continue;
      for (const { value } of header.multiValue ?? [{ value: header.value }]) forwarded.push([name, value]);
    }
    forwarded.push(
      ["host", localOriginHost],
      ...hidden.filter(([name]) => !/^(connection|keep-alive|proxy-connection|upgrade|x-amz-cf-.*)$/.test(name)),
      ["via", "1.1 local.cloudfront.net (CloudFront)"],
      ["x-amz-cf-id", randomBytes(42).toString("base64url").slice(0, 56)],
      ["x-forwarded-for", ip],
    );
    return { uri: result.uri, headers: forwarded };
  };
};
