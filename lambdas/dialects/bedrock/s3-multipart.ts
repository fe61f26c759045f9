import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { checksumAlgorithms, encodeChunkMeta } from "../../core/chunk-encoding";
import type { GatewayDeps } from "../../core/deps";
import { BadRequestError, toGatewayError } from "../../core/errors";
import {
  abortObjectUpload,
  admitObjectBody,
  admitPart,
  completeObjectUpload,
  listParts,
  startObjectUpload,
} from "../../core/object-uploads";
import type { HttpRequest } from "../../http/request";
import type { HttpResponse } from "../../http/response";
import type { Admitter } from "../../http/staged-authorizer";
import { escapeXml, unescapeXml } from "../../http/xml";
import { awsProvider, awsTenant } from "./auth";
import { renderS3Error } from "./errors";
import { locationOf } from "./s3-location";
import { checkLocation, etagOf } from "./s3-namespace";

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
const tag = (name: string, value: string | number) => `<${name}>${escapeXml(String(value))}</${name}>`;
const xml = (root: string, inner: string): HttpResponse => ({
  statusCode: 200,
  headers: { "content-type": "application/xml" },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${s3Namespace}">${inner}</${root}>`,
});

/** What the request says about how its body travels, kept with the stored body for the join to check and decode. */
const bodyMeta = (request: HttpRequest): string => {
  const encodings = (request.headers["content-encoding"] ?? "").toLowerCase().split(",");
  const sha256 = request.headers["x-amz-content-sha256"] ?? "";
  const chunked = encodings.some((e) => e.trim() === "aws-chunked") || sha256.startsWith("STREAMING-");
  const decoded = request.headers["x-amz-decoded-content-length"];
  // The flexible checksum the SDK sends: as a header, or named by `x-amz-trailer` and sent after the body.
  const trailer = (request.headers["x-amz-trailer"] ?? "").trim().toLowerCase();
  const algorithm = checksumAlgorithms.find(
    (name) => request.headers[`x-amz-checksum-${name}`] !== undefined || trailer === `x-amz-checksum-${name}`,
  );
  const value = algorithm && request.headers[`x-amz-checksum-${algorithm}`];
  return encodeChunkMeta({
    ...(algorithm && { checksum: { algorithm, ...(value !== undefined && { value }) } }),
    ...(chunked && { encoding: "aws-chunked" as const }),
    ...(decoded !== undefined && { decodedLength: Number(decoded) }),
    ...(/^[0-9a-f]{64}$/.test(sha256) && { sha256 }),
  });
};

/**
 * Admits an S3 PUT on an object (PutObject, or UploadPart when it names `uploadId` and `partNumber`) from its
 * headers; API Gateway then stores its body straight into the bucket. PutObject is answered with the object's
 * ETag (its file id, as HEAD shows it) and the key holds the body once it has arrived; UploadPart with the part's
 * ETag, which CompleteMultipartUpload must name.
 */
export const s3BodyAdmitter =
  (deps: GatewayDeps): Admitter =>
  async (request) => {
    const tenant = awsTenant(request);
    const { bucket, key } = locationOf(request);
    if (!bucket || key === "")
      throw new BadRequestError("PUT on a bucket is not supported; buckets exist as names.", {
        code: "NotImplemented",
      });
    if (request.headers["x-amz-copy-source"])
      throw new BadRequestError("CopyObject and UploadPartCopy are not supported.", { code: "NotImplemented" });
    checkLocation(bucket, key);
    const meta = bodyMeta(request);
    // No ETag named: the bucket's own for the stored part (its MD5, as S3 answers UploadPart) goes back.
    const answer = (etag?: string): HttpResponse => ({
      statusCode: 200,
      headers: etag ? { etag: `"${etag}"` } : {},
      body: "",
    });
    if (request.query.uploadId !== undefined || request.query.partNumber !== undefined) {
      const ticket = await admitPart(deps, {
        tenant,
        uploadId: request.query.uploadId ?? "",
        bucket,
        key,
        partNumber: Number(request.query.partNumber),
      });
      return { session: ticket.session, chunk: ticket.chunk, meta, response: answer(ticket.etag) };
    }
    const ticket = await admitObjectBody(deps, {
      tenant,
      dialect: "bedrock",
      provider: awsProvider(request),
      bucket,
      key,
      contentType: request.headers["content-type"] ?? "binary/octet-stream",
    });
    return { session: ticket.session, chunk: ticket.chunk, meta, response: answer(ticket.etag) };
  };

/** When a CompleteMultipartUpload stops answering as usual and keeps the connection alive instead. */
export const completeKeepAlive = { answerWithinMs: 2_000, everyMs: 5_000 };

const xmlDeclaration = /^<\?xml[^>]*\?>\s*/;

/**
 * Answers a join that may outlast a client's read timeout (a GiB of parts decoded through this Lambda) as S3 answers
 * a long CompleteMultipartUpload: what settles within `answerWithinMs` is answered as usual, an error with its own
 * status; past that, 200 at once (this door streams its responses, for up to 15 minutes), a space every `everyMs`
 * while the join runs, then the result — or S3's `<Error>` inside the 200, which boto3 and the JS SDK raise as the
 * error, as they do for S3's own.
 */
export const answerWithKeepAlive = async (
  work: Promise<HttpResponse>,
  timing: { answerWithinMs: number; everyMs: number } = completeKeepAlive,
): Promise<HttpResponse> => {
  const settled = work.then(
    (response) => ({ response }),
    (error: unknown) => ({ error }),
  );
  const waited = new AbortController();
  const early = await Promise.race([
    settled,
    sleep(timing.answerWithinMs, undefined, { signal: waited.signal }).then(
      () => undefined,
      () => undefined,
    ),
  ]);
  waited.abort();
  if (early) {
    if ("error" in early) throw early.error;
    return early.response;
  }
  const body = async function* () {
    yield '<?xml version="1.0" encoding="UTF-8"?>\n';
    for (;;) {
      const tick = new AbortController();
      const done = await Promise.race([
        settled,
        sleep(timing.everyMs, undefined, { signal: tick.signal }).then(
          () => undefined,
          () => undefined,
        ),
      ]);
      tick.abort();
      if (!done) {
        yield " ";
        continue;
      }
      const answer = "error" in done ? renderS3Error(toGatewayError(done.error)) : done.response;
      yield String(answer.body).replace(xmlDeclaration, "");
      return;
    }
  };
  return { statusCode: 200, headers: { "content-type": "application/xml" }, body: "", stream: Readable.from(body()) };
};

/** The `<Part>`s of a CompleteMultipartUpload body, in the order given. */
const partsOf = (body: Uint8Array) => {
  const text = Buffer.from(body).toString("utf8");
  const field = (part: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(part)?.[1];
  // Not a full XML parser: the shape S3 takes — one CompleteMultipartUpload of whole Part elements, nothing else.
  const malformed = () => new BadRequestError("The XML you provided was not well-formed.", { code: "MalformedXML" });
  const root =
    /^\s*(?:<\?xml[^>]*\?>\s*)?<CompleteMultipartUpload(?:\s[^>]*)?>([\s\S]*)<\/CompleteMultipartUpload>\s*$/.exec(
      text,
    );
  if (!root) throw malformed();
  if (root[1]!.replace(/<Part>[\s\S]*?<\/Part>/g, "").trim() !== "") throw malformed();
  return [...text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part = ""]) => ({
    partNumber: Number(field(part, "PartNumber")),
    etag: unescapeXml(field(part, "ETag") ?? ""),
  }));
};

/** The multipart routes of an object: create, complete, abort, list parts (UploadPart is a staged route). */
export const s3MultipartRoutes = (deps: GatewayDeps) => ({
  /** The route a request is for, when it is a multipart one. */
  match(request: HttpRequest): ((tenant: string, bucket: string, key: string) => Promise<HttpResponse>) | undefined {
    const uploadId = request.query.uploadId;
    if (request.method === "POST" && request.query.uploads !== undefined) {
      return async (tenant, bucket, key) => {
        checkLocation(bucket, key);
        const upload = await startObjectUpload(deps, {
          tenant,
          dialect: "bedrock",
          provider: awsProvider(request),
          bucket,
          key,
          contentType: request.headers["content-type"] ?? "binary/octet-stream",
        });
        return xml(
          "InitiateMultipartUploadResult",
          tag("Bucket", bucket) + tag("Key", key) + tag("UploadId", upload.id),
        );
      };
    }
    if (uploadId === undefined) return undefined;
    if (request.method === "POST") {
      return async (tenant, bucket, key) => {
        const parts = partsOf(request.body);
        const completed = completeObjectUpload(deps, { tenant, uploadId, bucket, key, parts }).then((entry) =>
          xml(
            "CompleteMultipartUploadResult",
            tag("Location", `${request.baseUrl}/${bucket}/${key}`) +
              tag("Bucket", bucket) +
              tag("Key", key) +
              tag("ETag", etagOf(entry)),
          ),
        );
        return answerWithKeepAlive(completed);
      };
    }
    if (request.method === "DELETE") {
      return async (tenant, bucket, key) => {
        await abortObjectUpload(deps, { tenant, uploadId, bucket, key });
        return { statusCode: 204, headers: {}, body: "" };
      };
    }
    if (request.method === "GET") {
      return async (tenant, bucket, key) => {
        const marker = Number(request.query["part-number-marker"] ?? 0);
        const max = Math.min(Number(request.query["max-parts"] ?? 1000) || 1000, 1000);
        const after = (await listParts(deps, { tenant, uploadId, bucket, key })).filter((p) => p.partNumber > marker);
        const page = after.slice(0, max);
        const truncated = after.length > page.length;
        return xml(
          "ListPartsResult",
          tag("Bucket", bucket) +
            tag("Key", key) +
            tag("UploadId", uploadId) +
            tag("PartNumberMarker", marker) +
            tag("NextPartNumberMarker", page.at(-1)?.partNumber ?? marker) +
            tag("MaxParts", max) +
            tag("IsTruncated", String(truncated)) +
            tag("StorageClass", "STANDARD") +
            page
              .map(
                (p) =>
                  `<Part>${tag("PartNumber", p.partNumber)}${tag("LastModified", new Date(p.lastModified).toISOString())}` +
                  `${tag("ETag", `"${p.etag}"`)}${tag("Size", p.size)}</Part>`,
              )
              .join(""),
        );
      };
    }
    return undefined;
  },
});
