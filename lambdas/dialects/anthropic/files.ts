import * as z from "zod";
import { BadRequestError } from "../../core/errors";
import {
  createFile,
  deleteFile,
  type FileDeps,
  getFile,
  isBatchInput,
  listFiles,
  readFileContent,
} from "../../core/files";
import { parseId, renderId } from "../../core/ids";
import type { FileRecord, ListQuery, Page } from "../../core/model";
import { intString } from "../../core/schemas";
import { parseWith } from "../../core/validation";
import { bearerToken, requireTenant } from "../../http/auth";
import type { Presented } from "../../http/authenticator";
import { parseMultipart } from "../../http/multipart";
import type { HttpRequest } from "../../http/request";
import { bytes, type HttpResponse, json, redirect } from "../../http/response";
import { batchPrefix } from "../batch-ids";

/** How the Anthropic SDK's ids look: `file_…` and `msgbatch_…` around the gateway id. */
export const anthropicPrefix = { file: "file_", batch: batchPrefix.anthropic } as const;

/** Where the Anthropic SDK puts its key: `X-Api-Key` (Python, JS 0.x) or `Authorization: Bearer` (JS ≥1.0). */
export const anthropicPresented = (request: HttpRequest): Presented => {
  const key = request.headers["x-api-key"] || bearerToken(request);
  return key
    ? { type: "key", key }
    : { type: "none", hint: "'X-Api-Key: <key>' or 'Authorization: Bearer <key>' (the Anthropic SDK's api_key)" };
};

/** The tenant of an Anthropic SDK call. */
export const anthropicTenant = requireTenant;

/** RFC 3339 with microseconds, as Anthropic writes timestamps. */
export const rfc3339 = (ms: number | undefined): string | null =>
  ms === undefined ? null : new Date(ms).toISOString().replace(/Z$/, "000Z");

/** A file as Anthropic's FileMetadata. */
export const renderAnthropicFile = (file: FileRecord) => ({
  id: renderId(anthropicPrefix.file, file.id),
  type: "file",
  filename: file.filename,
  mime_type: file.contentType,
  size_bytes: file.bytes,
  created_at: rfc3339(file.createdAt),
  expires_at: rfc3339(file.expiresAt),
  downloadable: true,
});

/** Anthropic's list pagination: `page` (new SDKs) or `after_id`/`before_id` (old ones), newest first. */
const pageQuery = z.object({
  limit: intString(1, 1000).default(20),
  page: z.string().optional(),
  after_id: z.string().optional(),
  before_id: z.string().optional(),
});

/**
 * Reads a page of objects the way Anthropic pages: newest first after `after_id`/`page`, or the page just
 * newer than `before_id`. Returns both paging schemes' fields (`has_more`, `first_id`, `last_id`, `next_page`).
 */
export const anthropicPage = async <T>(
  request: HttpRequest,
  prefix: string,
  list: (query: ListQuery) => Promise<Page<T>>,
  render: (item: T) => { id: string },
) => {
  const query = parseWith(pageQuery, request.query, "query");
  const cursorOf = (name: "page" | "after_id" | "before_id") => {
    const shown = query[name];
    if (shown === undefined) return undefined;
    const id = parseId(prefix, shown);
    if (!id) throw new BadRequestError(`Invalid '${name}': ${shown} is not an id from this list.`, { param: name });
    return id;
  };
  const before = cursorOf("before_id");
  const after = cursorOf("page") ?? cursorOf("after_id");
  const page =
    before !== undefined
      ? await list({ limit: query.limit, order: "asc", after: before, cursorName: "before_id" }).then((p) => ({
          ...p,
          items: [...p.items].reverse(),
        }))
      : await list({
          limit: query.limit,
          order: "desc",
          after,
          cursorName: query.page !== undefined ? "page" : "after_id",
        });
  const data = page.items.map(render);
  const lastId = data.at(-1)?.id ?? null;
  return {
    data,
    has_more: page.hasMore,
    first_id: data[0]?.id ?? null,
    last_id: lastId,
    next_page: page.hasMore && before === undefined ? lastId : null,
  };
};

const uploadFields = z.object({ expires_in_seconds: intString(3600, 7_776_000).optional() });

const fileIdOf = (request: HttpRequest) => {
  const shown = request.params.fileId ?? "";
  return { shown, id: parseId(anthropicPrefix.file, shown) };
};

/** The Files API routes of the Anthropic dialect (the same paths serve `files` and `beta.files`). */
export const anthropicFileRoutes = (deps: FileDeps) => ({
  /** `files.upload`: multipart `file`. A JSONL file of objects is kept as a batch input, anything else as user data. */
  async upload(request: HttpRequest): Promise<HttpResponse> {
    const tenant = anthropicTenant(request);
    const upload = await parseMultipart(request);
    const fields = parseWith(uploadFields, Object.fromEntries(upload.fields), "form");
    const batchInput = /\.jsonl$/i.test(upload.file.filename) && (await isBatchInput(deps, upload.file.body));
    const record = await createFile(deps, {
      tenant,
      dialect: "anthropic",
      provider: "anthropic",
      filename: upload.file.filename || "upload",
      purpose: batchInput ? "batch" : "user_data",
      contentType: upload.file.contentType,
      body: upload.file.body,
      expiresAfterSeconds: fields.expires_in_seconds,
    });
    return json(200, renderAnthropicFile(record));
  },

  async list(request: HttpRequest): Promise<HttpResponse> {
    const tenant = anthropicTenant(request);
    return json(
      200,
      await anthropicPage(
        request,
        anthropicPrefix.file,
        (query) => listFiles(deps, tenant, query),
        renderAnthropicFile,
      ),
    );
  },

  async retrieve(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = fileIdOf(request);
    return json(200, renderAnthropicFile(await getFile(deps, anthropicTenant(request), id, shown)));
  },

  async delete(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = fileIdOf(request);
    await deleteFile(deps, anthropicTenant(request), id, shown);
    return json(200, { id: shown, type: "file_deleted" });
  },

  async download(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = fileIdOf(request);
    const file = await getFile(deps, anthropicTenant(request), id, shown);
    const content = await readFileContent(deps, file);
    return content.kind === "redirect" ? redirect(content.url) : bytes(200, content.body, file.contentType);
  },
});
