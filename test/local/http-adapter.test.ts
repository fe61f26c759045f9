import { readFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { viewerRequestCode, viewerRequestFile } from "../../lambdas/edge/viewer-request-code";
import { pathUnderMount } from "../../lambdas/http/dialect-handler";
import { toHttpRequest } from "../../lambdas/http/request";
import { bytes } from "../../lambdas/http/response";
import { responseHeadersFromLambda } from "../../local/api-gateway-headers";
import { type Forwarded, localFront } from "../../local/front";
import { responseBody, toProxyEvent } from "../../local/http-adapter";

/** Captures what the local front forwards and the event the adapter builds for one raw HTTP request. */
const eventFor = async (
  path: string,
  headers: Record<string, string | string[]>,
  body = "",
  basePath = "",
  method = body ? "PUT" : "GET",
): Promise<{ event?: APIGatewayProxyEvent; forwarded: Forwarded | { status: number } }> => {
  let captured: { event?: APIGatewayProxyEvent; forwarded: Forwarded | { status: number } } | undefined;
  const front = localFront(basePath);
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const [uri = "/", query = ""] = (req.url ?? "/").split(/\?(.*)/s);
      const forwarded = front({ method: req.method ?? "GET", uri, headers: req.rawHeaders, ip: "127.0.0.1" });
      captured = {
        forwarded,
        event:
          "uri" in forwarded
            ? toProxyEvent(
                req,
                forwarded,
                Buffer.concat(chunks),
                { mount: { prefix: "/bedrock/files" }, path: forwarded.uri },
                new URLSearchParams(query),
              )
            : undefined,
      };
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method, headers }, (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("error", reject);
    req.end(body);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return captured!;
};

const sigV4 =
  "AWS4-HMAC-SHA256 Credential=AKID/20261202/us-west-2/s3/aws4_request, " +
  `SignedHeaders=content-length;content-md5;host;x-amz-date, Signature=${"a".repeat(64)}`;

describe("the local adapter presents requests as the front and API Gateway (REST, proxy integration) do", () => {
  let event: APIGatewayProxyEvent;
  beforeAll(async () => {
    event = (
      await eventFor(
        "/gw/bedrock/files/my-bucket/dir/a%20b%25c%E2%9C%93.jsonl?prefix=a%2Fb&k=1&k=2&plus=a+b",
        {
          "X-Amz-Date": "20261202T000000Z",
          "x-custom": ["one", "two"],
          Connection: "keep-alive",
          Authorization: sigV4,
          "Content-MD5": "XUFAKrxLKna5cZ2REBfFkg==",
          "x-finops-viewer-host": "forged.example.com",
        },
        "hello",
        "/gw",
      )
    ).event!;
  });

  it("drops what API Gateway drops: a SigV4 Authorization, Content-Length, Content-MD5, hop-by-hop headers", () => {
    const names = Object.keys(event.headers).map((n) => n.toLowerCase());
    for (const dropped of ["authorization", "content-length", "content-md5", "connection"]) {
      expect(names).not.toContain(dropped);
    }
    expect(event.headers.host).toBe("local.execute-api.localhost");
    expect(event.headers["X-Forwarded-Proto"]).toBe("http");
    expect(event.headers["X-Amzn-Trace-Id"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event.multiValueHeaders["x-custom"]).toEqual(["one", "two"]);
    expect(event.headers["x-custom"]).toBe("two");
  });

  it("carries the client's own headers in the front's copies, replacing copies the client sent", () => {
    expect(event.headers["x-finops-viewer-authorization"]).toBe(sigV4);
    expect(event.headers["x-finops-viewer-content-length"]).toBe("5");
    expect(event.headers["x-finops-viewer-content-md5"]).toBe("XUFAKrxLKna5cZ2REBfFkg==");
    expect(event.headers["x-finops-viewer-host"]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(event.headers["x-finops-viewer-base-path"]).toBe("/gw");
  });

  it("decodes query values (a repeated key: its last value, every value in multiValue…)", () => {
    expect(event.queryStringParameters).toMatchObject({ prefix: "a/b", k: "2", plus: "a b" });
    expect(event.multiValueQueryStringParameters?.k).toEqual(["1", "2"]);
  });

  it("keeps the path percent-encoded; the base path is gone and the stage is in requestContext.path", () => {
    expect(event.path).toBe("/bedrock/files/my-bucket/dir/a%20b%25c%E2%9C%93.jsonl");
    expect(event.requestContext.path).toBe(`/v1${event.path}`);
    expect(event.resource).toBe("/bedrock/files/{proxy+}");
    expect(event.pathParameters).toEqual({ proxy: "my-bucket/dir/a%20b%25c%E2%9C%93.jsonl" });
    expect(event.requestContext.stage).toBe("v1");
  });

  it("passes the body base64-encoded", () => {
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? "", "base64").toString()).toBe("hello");
  });

  it("gives the Lambda the request as the client sent it: headers, signed path, and base URL", () => {
    const request = toHttpRequest({ ...event, path: pathUnderMount(event, "bedrock/files") });
    expect(request.headers.authorization).toBe(sigV4);
    expect(request.headers["content-length"]).toBe("5");
    expect(request.headers["content-md5"]).toBe("XUFAKrxLKna5cZ2REBfFkg==");
    expect(request.headers.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Object.keys(request.headers).filter((n) => n.startsWith("x-finops-viewer-"))).toEqual([]);
    expect(request.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/gw$/);
    expect(request.rawPath).toBe("/gw/bedrock/files/my-bucket/dir/a%20b%25c%E2%9C%93.jsonl"); // what the SDK signed
  });

  it("a GET's Bearer Authorization, which CloudFront does not forward on GET, arrives through the copy", async () => {
    const { event: get } = await eventFor("/bedrock/files/b/k", { Authorization: "Bearer fops-key" });
    expect(Object.keys(get!.headers).map((n) => n.toLowerCase())).not.toContain("authorization");
    expect(toHttpRequest(get!).headers.authorization).toBe("Bearer fops-key");
  });

  it("answers 404 at the edge for a path outside the base path", async () => {
    const { forwarded } = await eventFor("/elsewhere/bedrock/files/b/k", {}, "", "/gw");
    expect(forwarded).toMatchObject({ status: 404 });
  });

  it("reads an event that did not come through the front (the API's own URL) as API Gateway passed it", () => {
    const direct = {
      ...event,
      headers: { host: "abc.execute-api.us-west-2.amazonaws.com", "x-amz-date": "20261202T000000Z" },
      path: "/bedrock/files/b/k",
      pathParameters: { proxy: "b/k" },
      requestContext: { ...event.requestContext, path: "/v1/bedrock/files/b/k" },
    };
    const request = toHttpRequest(direct);
    expect(request.headers.authorization).toBeUndefined();
    expect(request.baseUrl).toBe("https://abc.execute-api.us-west-2.amazonaws.com/v1");
  });
});

describe("Lambda responses as API Gateway sends them on", () => {
  it("renames the headers its table remaps and drops the ones it drops", () => {
    const sent = responseHeadersFromLambda({ ETag: '"x"', Date: "d", Authorization: "a", "Transfer-Encoding": "x" });
    expect(sent).toEqual({ ETag: '"x"', "x-amzn-Remapped-Date": "d", "x-amzn-Remapped-Authorization": "a" });
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

describe("the front's CloudFront Function as deployed", () => {
  it("fits CloudFront's 10 KB of function code, with its size rules and answers", () => {
    const code = viewerRequestCode(readFileSync(viewerRequestFile, "utf8"), "/some/base/path");
    expect(Buffer.byteLength(code)).toBeLessThan(10 * 1024);
    expect(code).not.toContain("__FINOPS_");
  });
});
