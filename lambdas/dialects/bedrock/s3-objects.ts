import * as z from "zod";
import type { GatewayDeps } from "../../core/deps";
import { BadRequestError, ErrorKind, GatewayError, NotFoundError, toGatewayError } from "../../core/errors";
import { findFile, streamFileBytes } from "../../core/files";
import { intString } from "../../core/schemas";
import { parseWith } from "../../core/validation";
import type { HttpRequest } from "../../http/request";
import type { HttpResponse } from "../../http/response";
import { escapeXml, unescapeXml } from "../../http/xml";
import { awsTenant } from "./auth";
import { renderS3Error } from "./errors";
import { locationOf } from "./s3-location";
import { s3MultipartRoutes } from "./s3-multipart";
import { deleteObject, etagOf, headObject, listObjects } from "./s3-namespace";

const httpDate = (ms: number): string => new Date(ms).toUTCString();

const listQuery = z.object({
  prefix: z.string().default(""),
  delimiter: z.string().optional(),
  // S3 takes any count and answers at most 1,000.
  "max-keys": intString(0, Number.MAX_SAFE_INTEGER)
    .default(1000)
    .transform((keys) => Math.min(keys, 1000)),
  "continuation-token": z.string().optional(),
  "start-after": z.string().optional(),
  // boto3 asks for it on every listing (and decodes the keys): keys with characters XML 1.0 cannot hold survive.
  "encoding-type": z.literal("url").optional(),
});

const xml = (statusCode: number, body: string): HttpResponse => ({
  statusCode,
  headers: { "content-type": "application/xml" },
  body,
});

/**
 * `bytes=a-b`, `bytes=a-` or `bytes=-n` against an object of `size` bytes (one range, as the SDKs send), as S3 reads
 * it (RFC 9110): a range that is not valid (`bytes=5-2`, another unit) is ignored — the whole object; one that
 * starts past the end, or a suffix of 0 bytes, is unsatisfiable — 416 `InvalidRange`, its `Content-Range` naming the
 * object's size.
 */
const parseRange = (header: string | undefined, size: number): { start: number; end: number } | undefined => {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] !== "" && match[2] !== "" && Number(match[2]) < Number(match[1])) return undefined;
  const suffix = match[1] === "";
  const start = suffix ? Math.max(0, size - Number(match[2])) : Number(match[1]);
  const end = suffix || match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if ((suffix && Number(match[2]) === 0) || start >= size) throw new RangeNotSatisfiableError(size);
  return { start, end };
};

/** S3's answer to a range it cannot satisfy: 416 with the object's size. */
class RangeNotSatisfiableError extends GatewayError {
  constructor(readonly size: number) {
    super(416, ErrorKind.invalidRequest, "The requested range is not satisfiable", { code: "InvalidRange" });
  }
}

/** The S3-compatible object routes at `{GW}/bedrock/files`. */
export const s3ObjectRoutes = (deps: GatewayDeps) => {
  const multipart = s3MultipartRoutes(deps);
  const list = async (request: HttpRequest, tenant: string, bucket: string): Promise<HttpResponse> => {
    if (request.query["list-type"] !== "2")
      throw new BadRequestError("Only ListObjectsV2 (list-type=2) is supported.", { code: "NotImplemented" });
    const q = parseWith(listQuery, request.query, "query");
    const page = await listObjects(deps, tenant, bucket, {
      prefix: q.prefix,
      delimiter: q.delimiter || undefined,
      maxKeys: q["max-keys"],
      continuationToken: q["continuation-token"],
      startAfter: q["start-after"],
    });
    const tag = (name: string, value: string | number | undefined) =>
      value === undefined ? "" : `<${name}>${escapeXml(String(value))}</${name}>`;
    /** A key, prefix or delimiter as asked: URL-encoded under `encoding-type=url`, as S3 answers it. */
    const named = (name: string, value: string | undefined) =>
      tag(name, value !== undefined && q["encoding-type"] === "url" ? encodeURIComponent(value) : value);
    const body = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      tag("Name", bucket),
      named("Prefix", q.prefix),
      named("Delimiter", q.delimiter),
      named("StartAfter", q["start-after"]),
      tag("EncodingType", q["encoding-type"]),
      tag("ContinuationToken", q["continuation-token"]),
      tag("KeyCount", page.contents.length + page.commonPrefixes.length),
      tag("MaxKeys", q["max-keys"]),
      tag("IsTruncated", String(page.truncated)),
      tag("NextContinuationToken", page.nextToken),
      ...page.contents.map(
        (e) =>
          `<Contents>${named("Key", e.key)}${tag("LastModified", new Date(e.lastModified).toISOString())}` +
          `${tag("ETag", etagOf(e))}${tag("Size", e.size)}<StorageClass>STANDARD</StorageClass></Contents>`,
      ),
      ...page.commonPrefixes.map((p) => `<CommonPrefixes>${named("Prefix", p)}</CommonPrefixes>`),
      "</ListBucketResult>",
    ].join("");
    return xml(200, body);
  };

  /** DeleteObjects (`aws s3 rm --recursive`, boto3 `delete_objects`): up to 1,000 keys, each answered on its own. */
  const deleteMany = async (request: HttpRequest, tenant: string, bucket: string): Promise<HttpResponse> => {
    const text = Buffer.from(request.body).toString("utf8");
    if (!/<Delete[\s>]/.test(text))
      throw new BadRequestError("The XML you provided was not well-formed.", { code: "MalformedXML" });
    const keys = [...text.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map(([, object = ""]) =>
      unescapeXml(/<Key>([^<]*)<\/Key>/.exec(object)?.[1] ?? ""),
    );
    if (keys.length === 0 || keys.length > 1000)
      throw new BadRequestError("DeleteObjects takes 1 to 1000 keys.", { code: "MalformedXML" });
    const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(text);
    const answer = async (key: string) => {
      try {
        await deleteObject(deps, tenant, bucket, key);
        return quiet ? "" : `<Deleted><Key>${escapeXml(key)}</Key></Deleted>`;
      } catch (cause) {
        const error = toGatewayError(cause);
        if (error.statusCode >= 500) throw cause;
        return (
          `<Error><Key>${escapeXml(key)}</Key><Code>${escapeXml(error.code ?? "InvalidArgument")}</Code>` +
          `<Message>${escapeXml(error.message)}</Message></Error>`
        );
      }
    };
    // Fifty at a time: a thousand keys at once would be a thousand table reads in one burst.
    const answers: string[] = [];
    for (let i = 0; i < keys.length; i += 50) answers.push(...(await Promise.all(keys.slice(i, i + 50).map(answer))));
    return xml(
      200,
      '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `${answers.join("")}</DeleteResult>`,
    );
  };

  const objectHeaders = (entry: Awaited<ReturnType<typeof headObject>>) => ({
    etag: etagOf(entry),
    "last-modified": httpDate(entry.lastModified),
    "content-type": entry.contentType,
    "accept-ranges": "bytes",
  });

  return {
    /**
     * Every method on every path of the mount but an object's PUT (PutObject and UploadPart bodies go straight to
     * the bucket through the `s3Bodies` staged route): GetObject, HeadObject, DeleteObject, ListObjectsV2, and
     * CreateMultipartUpload, CompleteMultipartUpload, AbortMultipartUpload and ListParts.
     */
    async handle(request: HttpRequest): Promise<HttpResponse> {
      const tenant = awsTenant(request);
      const { bucket, key } = locationOf(request);
      if (!bucket)
        throw new BadRequestError("ListBuckets is not supported: name a bucket.", { code: "NotImplemented" });
      if (key === "") {
        if (request.method === "GET") return list(request, tenant, bucket);
        if (request.method === "POST" && request.query.delete !== undefined) return deleteMany(request, tenant, bucket);
        throw new BadRequestError(
          `${request.method} on a bucket is not supported; buckets exist as names in this namespace.`,
          { code: "NotImplemented" },
        );
      }
      const multipartRoute = multipart.match(request);
      if (multipartRoute) return multipartRoute(tenant, bucket, key);
      switch (request.method) {
        case "HEAD": {
          const entry = await headObject(deps, tenant, bucket, key, request.headers["if-match"]);
          return {
            statusCode: 200,
            headers: { ...objectHeaders(entry), "content-length": String(entry.size) },
            body: "",
          };
        }
        case "GET": {
          // Streamed (this front door's integration streams responses): an object of any size, never held whole.
          const entry = await headObject(deps, tenant, bucket, key, request.headers["if-match"]);
          let range: ReturnType<typeof parseRange>;
          try {
            range = parseRange(request.headers.range, entry.size);
          } catch (error) {
            if (!(error instanceof RangeNotSatisfiableError)) throw error;
            const refused = renderS3Error(error);
            return { ...refused, headers: { ...refused.headers, "content-range": `bytes */${error.size}` } };
          }
          const length = range ? range.end - range.start + 1 : entry.size;
          const file = await findFile(deps, tenant, entry.fileId);
          if (!file) throw new NotFoundError("The specified key does not exist.", { code: "NoSuchKey" });
          const headers: Record<string, string> = { ...objectHeaders(entry), "content-length": String(length) };
          if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${entry.size}`;
          const stream = length > 0 ? await streamFileBytes(deps, file, range) : undefined;
          return { statusCode: range ? 206 : 200, headers, body: "", stream };
        }
        case "DELETE":
          await deleteObject(deps, tenant, bucket, key, request.headers["if-match"]);
          return { statusCode: 204, headers: {}, body: "" };
        default:
          throw new BadRequestError(`${request.method} is not supported on objects.`, { code: "NotImplemented" });
      }
    },
  };
};
