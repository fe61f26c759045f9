import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import type { CredentialRecord, CredentialStore, SecretSealer } from "../../lambdas/core/credentials";
import { GatewayError } from "../../lambdas/core/errors";
import { signedResourceOf } from "../../lambdas/dialects/bedrock/s3-location";
import { keyAuthenticator } from "../../lambdas/http/authenticator";
import { type HttpRequest, toHttpRequest } from "../../lambdas/http/request";
import { localFront } from "../../local/front";
import { toProxyEvent } from "../../local/http-adapter";
import recorded from "../fixtures/botocore-signed.json";

/** One credential, its secret "sealed" as itself. */
const storeOf = (record: CredentialRecord): CredentialStore => ({
  put: async () => undefined,
  byApiKeyHash: async () => undefined,
  byAccessKeyId: async (id) => (id === record.accessKeyId ? record : undefined),
  byName: async () => record,
  list: async () => [record],
  setStatus: async () => true,
  delete: async () => true,
});
const sealer: SecretSealer = { seal: async (plain) => plain, unseal: async (sealed) => sealed };
const record: CredentialRecord = {
  name: "fixture",
  tenant: "t-fixture",
  status: "enabled",
  createdAt: 0,
  apiKeyHash: "",
  accessKeyId: recorded.accessKeyId,
  sealedSecret: recorded.secretAccessKey,
};

/**
 * A recorded request as the deployed path delivers it to a Lambda: through the front's CloudFront Function and
 * CloudFront (local/front.ts), then API Gateway's header table and proxy event (local/http-adapter.ts).
 */
const asLambdaSees = (sent: (typeof recorded.requests)[number], body = sent.body): HttpRequest => {
  const url = new URL(sent.url);
  const raw = [["Host", url.host], ...Object.entries(sent.headers)].flat();
  if (body !== "" && !raw.some((h) => h.toLowerCase() === "content-length")) {
    raw.push("Content-Length", String(Buffer.byteLength(body, "latin1")));
  }
  const forwarded = localFront("")({ method: sent.method, uri: url.pathname, headers: raw, ip: "192.0.2.1" });
  if (!("uri" in forwarded)) throw new Error("the front answered instead of forwarding");
  const mount = url.pathname.startsWith("/bedrock/files") ? "/bedrock/files" : "/bedrock";
  const client = { method: sent.method, socket: { localPort: 443 } } as unknown as IncomingMessage;
  const event = toProxyEvent(
    client,
    forwarded,
    Buffer.from(body, "latin1"),
    { mount: { prefix: mount }, path: forwarded.uri },
    url.searchParams,
  );
  // SigV4's own header never reaches the Lambda from API Gateway: only the front's copy does.
  expect(Object.keys(event.headers).map((h) => h.toLowerCase())).not.toContain("authorization");
  return toHttpRequest(event);
};
const signedAt = (sent: (typeof recorded.requests)[number]) => {
  const d = sent.headers["X-Amz-Date"]!;
  return Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(9, 11), +d.slice(11, 13));
};
const seenBody = recorded.requests.filter((r) => !r.name.startsWith("s3 PutObject"));

describe("keyAuthenticator with requests signed by botocore, delivered through the front and API Gateway", () => {
  it.each(seenBody.map((r) => [r.name, r] as const))("%s: admitted as its signer's tenant", async (_, sent) => {
    const auth = keyAuthenticator(storeOf(record), sealer, () => signedAt(sent));
    await expect(auth.tenantFor(asLambdaSees(sent), { type: "aws" })).resolves.toBe("t-fixture");
  });

  it("signs exactly the headers botocore named (no payload hash header for Bedrock)", () => {
    const create = recorded.requests.find((r) => r.name === "bedrock CreateModelInvocationJob")!;
    expect(create.headers.Authorization).toContain("SignedHeaders=content-type;host;x-amz-date,");
    expect(Object.keys(create.headers).map((h) => h.toLowerCase())).not.toContain("x-amz-content-sha256");
  });

  it("refuses a Bedrock create replayed with another body of the same length (botocore hashes the body)", async () => {
    const sent = recorded.requests.find((r) => r.name === "bedrock CreateModelInvocationJob")!;
    const auth = keyAuthenticator(storeOf(record), sealer, () => signedAt(sent));
    const tampered = sent.body.replace('"job1"', '"job2"');
    expect(tampered).not.toBe(sent.body);
    await expect(auth.tenantFor(asLambdaSees(sent, tampered), { type: "aws" })).rejects.toMatchObject({
      code: "SignatureDoesNotMatch",
    });
  });

  it("refuses a signature by another secret, and a request signed 16 minutes ago", async () => {
    const sent = recorded.requests[0]!;
    const wrong = keyAuthenticator(storeOf({ ...record, sealedSecret: "another" }), sealer, () => signedAt(sent));
    await expect(wrong.tenantFor(asLambdaSees(sent), { type: "aws" })).rejects.toMatchObject({
      code: "SignatureDoesNotMatch",
    });
    const late = keyAuthenticator(storeOf(record), sealer, () => signedAt(sent) + 16 * 60_000);
    await expect(late.tenantFor(asLambdaSees(sent), { type: "aws" })).rejects.toMatchObject({
      code: "RequestTimeTooSkewed",
    });
  });
});

describe("keyAuthenticator binds a seen body to its stated payload hash", () => {
  it("answers XAmzContentSHA256Mismatch (400) when the body is not the one hashed", async () => {
    const sent = recorded.requests.find((r) => r.name === "s3 ListObjectsV2")!;
    const auth = keyAuthenticator(storeOf(record), sealer, () => signedAt(sent));
    const error = await auth.tenantFor(asLambdaSees(sent, "other bytes"), { type: "aws" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ statusCode: 400, code: "XAmzContentSHA256Mismatch" });
  });
});

describe("keyAuthenticator with presigned URLs made by boto3", () => {
  /** A presigned URL as a plain HTTP client sends it (no headers of its own) through the front and API Gateway. */
  const presignedRequest = (url: string, method = "GET", mutate: (u: URL) => void = () => undefined) => {
    const parsed = new URL(url);
    mutate(parsed);
    return asLambdaSees({ name: "presigned", method, url: parsed.toString(), headers: {}, body: "" } as never);
  };
  const at = recorded.presignedAt;
  /** What the S3 door presents: its requests may carry S3's Signature Version 2 over `/bucket/key`. */
  const s3 = (request: HttpRequest) => ({ type: "aws" as const, v2Resource: signedResourceOf(request) });
  const admit = (auth: ReturnType<typeof keyAuthenticator>, request: HttpRequest) =>
    auth.tenantFor(request, s3(request));

  it.each(["sigv2", "sigv4"] as const)(
    "%s: GET and PUT URLs are admitted as their signer's tenant",
    async (version) => {
      const auth = keyAuthenticator(storeOf(record), sealer, () => at);
      const urls = recorded.presigned[version];
      await expect(admit(auth, presignedRequest(urls.get))).resolves.toBe("t-fixture");
      await expect(admit(auth, presignedRequest(urls.put, "PUT"))).resolves.toBe("t-fixture");
    },
  );

  it.each(["sigv2", "sigv4"] as const)("%s: another key, method or a late use is refused", async (version) => {
    const auth = keyAuthenticator(storeOf(record), sealer, () => at);
    const { get } = recorded.presigned[version];
    const otherKey = presignedRequest(get, "GET", (u) => {
      u.pathname = u.pathname.replace("team-bucket", "other-bucket");
    });
    await expect(admit(auth, otherKey)).rejects.toMatchObject({ code: "SignatureDoesNotMatch" });
    await expect(admit(auth, presignedRequest(get, "DELETE"))).rejects.toMatchObject({
      code: "SignatureDoesNotMatch",
    });
    const late = keyAuthenticator(storeOf(record), sealer, () => at + 3601_000);
    await expect(admit(late, presignedRequest(get))).rejects.toMatchObject({
      code: "AccessDenied",
    });
  });
});
