import * as z from "zod";
import { BadRequestError } from "../../core/errors";
import { deleteFile, type FileDeps, getFile, listFiles, readFileContent } from "../../core/files";
import { isId, parseId, renderId } from "../../core/ids";
import type { FileRecord } from "../../core/model";
import { intString, providerSchema } from "../../core/schemas";
import { admitChunk, startUpload } from "../../core/uploads";
import { parseWith } from "../../core/validation";
import { requireTenant } from "../../http/auth";
import type { Presented } from "../../http/authenticator";
import { type HttpRequest, jsonBody } from "../../http/request";
import { bytes, type HttpResponse, json, redirect } from "../../http/response";
import type { Admitter } from "../../http/staged-authorizer";
import { batchPrefix } from "../batch-ids";

/** How the GenAI SDK's resource names look: `files/…` and `batches/…` around the gateway id. */
export const genAiPrefix = { file: "files/", batch: batchPrefix.genai } as const;

/** Where chunks of a resumable upload go: the upload URL `start` answers (a staged route, staged-routes.ts). */
const uploadSessionPath = "/upload-sessions/";

/**
 * Where the GenAI SDK puts its key: `x-goog-api-key` (or `key=`). Upload chunks carry the unguessable upload id in
 * their URL instead, which is their credential (the Python SDK sends no key on them).
 */
export const genAiPresented = (request: HttpRequest): Presented => {
  if (request.params.session && request.path.includes(uploadSessionPath)) return { type: "capability" };
  const key = request.headers["x-goog-api-key"] || request.query.key;
  return key ? { type: "key", key } : { type: "none", hint: "the 'x-goog-api-key' header (the GenAI SDK's api_key)" };
};

/** The tenant of a GenAI SDK call. */
export const genAiTenant = requireTenant;

/** The provider named by `x-model-provider` (default `gemini`). */
export const genAiProvider = (request: HttpRequest) =>
  parseWith(providerSchema.optional(), request.headers["x-model-provider"], "x-model-provider header") ?? "gemini";

/** RFC 3339 as Google writes it. */
export const rfc3339 = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** A file as Gemini's File resource (camelCase, int64 as a string, base64 SHA-256; none yet while it is staged). */
export const renderGenAiFile = (file: FileRecord, baseUrl: string) => ({
  name: renderId(genAiPrefix.file, file.id),
  displayName: file.filename,
  mimeType: file.contentType,
  sizeBytes: String(file.bytes),
  createTime: rfc3339(file.createdAt),
  updateTime: rfc3339(file.createdAt),
  expirationTime: rfc3339(file.expiresAt),
  sha256Hash: file.sha256 ? Buffer.from(file.sha256, "hex").toString("base64") : undefined,
  uri: `${baseUrl}/genai/v1beta/${renderId(genAiPrefix.file, file.id)}`,
  state: "ACTIVE",
  source: file.purpose === "batch_output" ? "GENERATED" : "UPLOADED",
});

/** A `files/{id}` name (or the bare id, as `files.get` accepts both) as the gateway id. */
export const fileIdFromName = (name: string): string | undefined =>
  parseId(genAiPrefix.file, name) ?? (isId(name) ? name : undefined);

/** The start body: camelCase from JS, snake_case from Python; every field optional. */
const startBody = z.object({
  file: z
    .object({
      displayName: z.string().optional(),
      display_name: z.string().optional(),
      mimeType: z.string().optional(),
      mime_type: z.string().optional(),
    })
    .loose()
    .optional(),
});

/** `X-Goog-Upload-Command` as a list (`upload, finalize`). */
const uploadCommand = (request: HttpRequest): string[] =>
  (request.headers["x-goog-upload-command"] ?? "")
    .toLowerCase()
    .split(",")
    .map((c) => c.trim());

/**
 * Admits a chunk of a resumable upload (`upload` or `upload, finalize` at `X-Goog-Upload-Offset`) from its headers;
 * API Gateway then stores its body. A finalizing chunk is answered with the file, as Gemini answers it.
 */
export const genAiChunkAdmitter =
  (deps: FileDeps): Admitter =>
  async (request) => {
    const command = uploadCommand(request);
    if (!command.includes("upload"))
      throw new BadRequestError("Send chunks with 'X-Goog-Upload-Command: upload' (and 'finalize' on the last).");
    const offset = Number(request.headers["x-goog-upload-offset"] ?? Number.NaN);
    const ticket = await admitChunk(deps, {
      uploadId: request.params.session ?? "",
      offset,
      finalize: command.includes("finalize"),
      // The chunk's length, as the client sent it (the front's copy of Content-Length).
      ...(request.headers["content-length"] !== undefined && { length: Number(request.headers["content-length"]) }),
    });
    const response = ticket.file
      ? json(200, { file: renderGenAiFile(ticket.file, request.baseUrl) }, { "x-goog-upload-status": "final" })
      : json(200, {}, { "x-goog-upload-status": "active" });
    return { session: ticket.session, chunk: ticket.chunk, response };
  };

const listQuery = z.object({ pageSize: intString(1, 100).default(10), pageToken: z.string().optional() });

/** The Files routes of the GenAI dialect: the resumable upload, list, get, delete, download. */
export const genAiFileRoutes = (deps: FileDeps) => {
  const download = async (request: HttpRequest): Promise<HttpResponse> => {
    const raw = (request.params.fileId ?? "").replace(/:download$/, "");
    const file = await getFile(deps, genAiTenant(request), fileIdFromName(raw), `files/${raw}`);
    const content = await readFileContent(deps, file);
    return content.kind === "redirect" ? redirect(content.url) : bytes(200, content.body, "application/octet-stream");
  };
  return {
    download,
    /**
     * The resumable upload's `start`: opens a session and answers an absolute `X-Goog-Upload-URL` on the gateway
     * (keeping the base path and `/genai` mount) at the staged chunk route, where API Gateway stores each chunk
     * straight into the bucket once {@link genAiChunkAdmitter} has admitted it.
     */
    async upload(request: HttpRequest): Promise<HttpResponse> {
      const command = uploadCommand(request);
      if (!command.includes("start"))
        throw new BadRequestError("Start a resumable upload with 'X-Goog-Upload-Command: start'.");
      const tenant = genAiTenant(request);
      const body = parseWith(startBody, jsonBody(request), "body");
      const size = Number(request.headers["x-goog-upload-header-content-length"] ?? Number.NaN);
      if (!Number.isInteger(size) || size < 0)
        throw new BadRequestError("X-Goog-Upload-Header-Content-Length must be the file's size in bytes.");
      const upload = await startUpload(deps, {
        tenant,
        dialect: "genai",
        provider: genAiProvider(request),
        size,
        mimeType:
          request.headers["x-goog-upload-header-content-type"] ??
          body.file?.mimeType ??
          body.file?.mime_type ??
          "application/octet-stream",
        displayName: body.file?.displayName ?? body.file?.display_name ?? request.headers["x-goog-upload-file-name"],
      });
      const url = `${request.baseUrl}/genai${uploadSessionPath}${upload.id}`;
      return json(
        200,
        {},
        { "x-goog-upload-url": url, "x-goog-upload-control-url": url, "x-goog-upload-status": "active" },
      );
    },

    async list(request: HttpRequest): Promise<HttpResponse> {
      const tenant = genAiTenant(request);
      const q = parseWith(listQuery, request.query, "query");
      let after: string | undefined;
      if (q.pageToken) {
        after = isId(q.pageToken) ? q.pageToken : undefined;
        if (!after) throw new BadRequestError("Invalid pageToken.", { param: "pageToken" });
      }
      const page = await listFiles(deps, tenant, { limit: q.pageSize, order: "desc", after, cursorName: "pageToken" });
      const files = page.items.map((f) => renderGenAiFile(f, request.baseUrl));
      return json(200, { files, ...(page.hasMore && { nextPageToken: page.items.at(-1)!.id }) });
    },

    /** `files.get`, or the download of `files/{id}:download`. */
    async get(request: HttpRequest): Promise<HttpResponse> {
      const raw = request.params.fileId ?? "";
      if (raw.endsWith(":download")) return download(request);
      const file = await getFile(deps, genAiTenant(request), fileIdFromName(raw), `files/${raw}`);
      return json(200, renderGenAiFile(file, request.baseUrl));
    },

    async delete(request: HttpRequest): Promise<HttpResponse> {
      const raw = request.params.fileId ?? "";
      await deleteFile(deps, genAiTenant(request), fileIdFromName(raw), `files/${raw}`);
      return json(200, {});
    },
  };
};
