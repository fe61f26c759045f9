import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { pathUnderMount } from "../../lambdas/http/dialect-handler";
import { toHttpRequest } from "../../lambdas/http/request";
import { bytes } from "../../lambdas/http/response";
import { droppedRequestHeaders, responseBody, toProxyEvent } from "../../local/http-adapter";

/** Captures the event the adapter builds for one raw HTTP request. */
const eventFor = async (
  path: string,
  headers: Record<string, string | string[]>,
  body = "",
  basePath = "",
): Promise<APIGatewayProxyEvent> => {
  let captured: APIGatewayProxyEvent | undefined;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const [full = "/", query = ""] = (req.url ?? "/").split(/\?(.*)/s);
      const local = full.slice(basePath.length);
      captured = toProxyEvent(
        req,
        Buffer.concat(chunks),
        {
          mount: { prefix: "/bedrock/files" },
          basePath,
          path: local,
        },
        new URLSearchParams(query),
      );
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method: body ? "PUT" : "GET", headers }, (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("error", reject);
    req.end(body);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return captured!;
};

describe("the local adapter presents requests as API Gateway (REST, proxy integration) does", () => {
  let event: APIGatewayProxyEvent;
  beforeAll(async () => {
    event = await eventFor(
      "/gw/bedrock/files/my-bucket/dir/a%20b%25c%E2%9C%93.jsonl?prefix=a%2Fb&k=1&k=2&plus=a+b",
      { "X-Amz-Date": "20261202T000000Z", "x-custom": ["one", "two"], Connection: "keep-alive" },
      "hello",
      "/gw",
    );
  });

  it("drops Content-Length and hop-by-hop headers, adds the forwarding and trace headers, keeps header case", () => {
    const names = Object.keys(event.headers);
    expect(names.map((n) => n.toLowerCase()).filter((n) => droppedRequestHeaders.has(n))).toEqual([]);
    expect(names).toContain("X-Amz-Date");
    expect(event.headers["X-Forwarded-Proto"]).toBe("http");
    expect(event.headers["X-Amzn-Trace-Id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event.multiValueHeaders["x-custom"]).toEqual(["one", "two"]);
    expect(event.headers["x-custom"]).toBe("two");
  });

  it("decodes query values (a repeated key: its last value, every value in multiValue…)", () => {
    expect(event.queryStringParameters).toMatchObject({ prefix: "a/b", k: "2", plus: "a b" });
    expect(event.multiValueQueryStringParameters?.k).toEqual(["1", "2"]);
  });

  it("keeps the path percent-encoded, with the custom domain's base path in path and requestContext.path", () => {
    expect(event.path).toBe("/gw/bedrock/files/my-bucket/dir/a%20b%25c%E2%9C%93.jsonl");
    expect(event.requestContext.path).toBe(event.path);
    expect(event.resource).toBe("/bedrock/files/{proxy+}");
    expect(event.pathParameters).toEqual({ proxy: "my-bucket/dir/a%20b%25c%E2%9C%93.jsonl" });
    expect(event.requestContext.stage).toBe("v1");
  });

  it("passes the body base64-encoded", () => {
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? "", "base64").toString()).toBe("hello");
  });

  it("routes on the path under the mount whatever base path came before it, and keeps that base in URLs", () => {
    expect(pathUnderMount(event, "bedrock/files")).toBe("/bedrock/files/my-bucket/dir/a%20b%25c%E2%9C%93.jsonl");
    const request = toHttpRequest({ ...event, path: pathUnderMount(event, "bedrock/files") });
    expect(request.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/gw$/);
    expect(request.rawPath).toBe(event.path); // what the SDK signed
  });

  it("routes an execute-api event (stage in requestContext.path only) the same way", () => {
    const viaStage = {
      ...event,
      path: "/bedrock/files/b/k",
      pathParameters: { proxy: "b/k" },
      requestContext: { ...event.requestContext, path: "/v1/bedrock/files/b/k" },
    };
    expect(pathUnderMount(viaStage, "bedrock/files")).toBe("/bedrock/files/b/k");
    expect(toHttpRequest(viaStage).baseUrl).toMatch(/\/v1$/);
  });
});

describe("responses, whatever the request's Accept says", () => {
  it("turns a base64 body into bytes only for a request with an Accept header", () => {
    const binary = bytes(200, Uint8Array.from([0xff, 0xfe, 0x00]), "application/octet-stream");
    expect(binary.isBase64Encoded).toBe(true);
    expect([...responseBody(binary, "application/octet-stream")]).toEqual([0xff, 0xfe, 0x00]);
    expect(responseBody(binary, undefined).toString()).toBe(binary.body); // API Gateway hands over the base64 text
  });

  it("sends text bodies as text, so they arrive intact with or without Accept", () => {
    const text = bytes(200, Buffer.from('{"a":"ü ✓"}\n'), "application/jsonl");
    expect(text.isBase64Encoded).toBe(false);
    expect(responseBody(text, undefined).toString()).toBe('{"a":"ü ✓"}\n');
    expect(responseBody(text, "application/json").toString()).toBe('{"a":"ü ✓"}\n');
    expect(text.headers?.["content-length"]).toBe(String(Buffer.byteLength('{"a":"ü ✓"}\n')));
  });
});
