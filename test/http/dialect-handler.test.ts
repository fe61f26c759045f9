import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { BadRequestError } from "../../lambdas/core/errors";
import { tenantOf } from "../../lambdas/core/ids";
import { renderAnthropicError } from "../../lambdas/dialects/anthropic/errors";
import { renderBedrockError, renderS3Error } from "../../lambdas/dialects/bedrock/errors";
import { renderGenAiError } from "../../lambdas/dialects/genai/errors";
import { renderOpenAiError } from "../../lambdas/dialects/openai/errors";
import { createDialectHandler } from "../../lambdas/http/dialect-handler";
import { json } from "../../lambdas/http/response";
import { logger as gatewayLogger } from "../../lambdas/logger";

const event = (method: string, path: string): APIGatewayProxyEvent =>
  ({
    httpMethod: method,
    path,
    headers: {},
    queryStringParameters: null,
    pathParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { path },
  }) as unknown as APIGatewayProxyEvent;

const handler = createDialectHandler(
  {
    name: "test",
    renderError: renderOpenAiError,
    presented: () => ({ type: "key", key: "k" }),
    routes: [
      { method: "GET", path: "/ok/{id}", handler: async (r) => json(200, { id: r.params.id }) },
      {
        method: "GET",
        path: "/bad",
        handler: async () => {
          throw new BadRequestError("nope", { param: "x" });
        },
      },
      {
        method: "GET",
        path: "/crash",
        handler: async () => {
          throw new Error("secret table name in stack trace");
        },
      },
    ],
  },
  "t",
);
const call = (method: string, path: string) => handler(event(method, path), {} as Context);

describe("createDialectHandler", () => {
  it("routes by method and path and decodes path parameters", async () => {
    const response = await call("GET", "/t/ok/a%3Ab");
    expect(JSON.parse(response.body)).toEqual({ id: "a:b" });
  });

  it("renders gateway errors in the dialect's envelope", async () => {
    const response = await call("GET", "/t/bad");
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: { message: "nope", type: "invalid_request_error", param: "x", code: null },
    });
  });

  it("answers an unknown route with a 404 in the envelope", async () => {
    const response = await call("POST", "/t/ok/1");
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error.message).toMatch(/Unknown request URL: POST \/t\/ok\/1/);
  });

  it("hides the details of unexpected failures behind a 500", async () => {
    const response = await call("GET", "/t/crash");
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain("secret");
    expect(JSON.parse(response.body).error.type).toBe("server_error");
  });
});

describe("error envelopes of the other dialects", () => {
  const error = new BadRequestError("bad <thing>");
  it("Anthropic: {type:error, error:{type,message}}", () => {
    expect(JSON.parse(renderAnthropicError(error).body)).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "bad <thing>" },
      request_id: null,
    });
  });
  it("Google: {error:{code,message,status}}", () => {
    expect(JSON.parse(renderGenAiError(error).body)).toEqual({
      error: { code: 400, message: "bad <thing>", status: "INVALID_ARGUMENT" },
    });
  });
  it("Bedrock: AWS JSON with x-amzn-ErrorType", () => {
    const response = renderBedrockError(error);
    expect(response.headers?.["x-amzn-errortype"]).toBe("ValidationException");
  });
  it("S3: XML with the message escaped", () => {
    expect(renderS3Error(error).body).toContain("<Code>InvalidRequest</Code><Message>bad &#60;thing&#62;</Message>");
  });
});

describe("logging", () => {
  it("logs a 5xx without the caller's key or the request body", async () => {
    const previous = gatewayLogger.getLevelName();
    gatewayLogger.setLogLevel("ERROR");
    const written: string[] = [];
    const originals = [process.stdout.write, process.stderr.write];
    const capture = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    try {
      const crashing = createDialectHandler(
        {
          name: "log-test",
          renderError: renderOpenAiError,
          presented: () => ({ type: "key", key: "sk-secret-key-123" }),
          routes: [
            {
              method: "POST",
              path: "/crash/{batchId}",
              handler: async () => {
                throw new Error("database unavailable");
              },
            },
          ],
        },
        "t",
      );
      const e = {
        ...event("POST", "/t/crash/batch-7"),
        headers: { authorization: "Bearer sk-secret-key-123" },
        body: '{"prompt":"my private prompt"}',
      } as APIGatewayProxyEvent;
      const response = await crashing(e, {} as Context);
      expect(response.statusCode).toBe(500);
    } finally {
      [process.stdout.write, process.stderr.write] = originals as [
        typeof process.stdout.write,
        typeof process.stderr.write,
      ];
      gatewayLogger.setLogLevel(previous);
    }
    const log = written.join("");
    expect(log).toContain("database unavailable"); // the failure itself is logged…
    expect(log).not.toContain("sk-secret-key-123"); // …but not the caller's key or prompt
    expect(log).not.toContain("my private prompt");
    // …and the line says whose request it was (the tenant hash) and which batch it was about.
    const line = JSON.parse(log.split("\n").find((l) => l.includes("database unavailable")) ?? "{}");
    expect(line).toMatchObject({ tenant: tenantOf("sk-secret-key-123"), batchId: "batch-7" });
  });
});
