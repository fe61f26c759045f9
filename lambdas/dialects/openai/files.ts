import * as z from "zod";
import { BadRequestError } from "../../core/errors";
import { createFile, deleteFile, type FileDeps, getFile, listFiles, readFileContent } from "../../core/files";
import { parseId, renderId } from "../../core/ids";
import { type FileRecord, uploadPurposes } from "../../core/model";
import { intString, providerSchema } from "../../core/schemas";
import { parseWith } from "../../core/validation";
import { bearerToken, requireTenant } from "../../http/auth";
import type { Presented } from "../../http/authenticator";
import { parseMultipart } from "../../http/multipart";
import { type HttpRequest, unflattenBrackets } from "../../http/request";
import { bytes, type HttpResponse, json, redirect } from "../../http/response";
import { batchPrefix } from "../batch-ids";

/** How the OpenAI SDK's ids look: `file-…`, `batch_…`, `upload_…`, `part_…` around the gateway id. */
export const openAiPrefix = { file: "file-", batch: batchPrefix.openai, upload: "upload_", part: "part_" } as const;

/** Unix seconds, as OpenAI writes times. */
export const seconds = (ms: number | undefined): number | null => (ms === undefined ? null : Math.floor(ms / 1000));

/** A file as OpenAI's FileObject. */
export const renderFile = (file: FileRecord) => ({
  id: renderId(openAiPrefix.file, file.id),
  object: "file",
  bytes: file.bytes,
  created_at: seconds(file.createdAt),
  filename: file.filename,
  purpose: file.purpose,
  status: "processed",
  expires_at: seconds(file.expiresAt),
  status_details: null,
});

/** Where the OpenAI SDK puts its key: `Authorization: Bearer`. */
export const openAiPresented = (request: HttpRequest): Presented => {
  const key = bearerToken(request);
  return key
    ? { type: "key", key }
    : { type: "none", hint: "'Authorization: Bearer <key>' (the OpenAI SDK's api_key)" };
};

/** The tenant of an OpenAI SDK call. */
export const openAiTenant = requireTenant;

const uploadFields = z.object({
  purpose: z.enum(uploadPurposes, { error: `purpose must be one of ${uploadPurposes.join(", ")}` }),
  provider: providerSchema.default("openai"),
  expires_after: z.object({ anchor: z.literal("created_at"), seconds: intString(3600, 2_592_000) }).optional(),
  storage_config: z
    .record(z.string(), z.unknown())
    .refine((value) => JSON.stringify(value).length <= 4096, "at most 4 KiB of settings")
    .optional(),
});

/** C0 control characters and DEL, which a filename cannot hold. */
const isControl = (char: string): boolean => char.charCodeAt(0) < 0x20 || char === "\u007f";

/** Filenames are display metadata (never a storage key), but they must be printable and fit in the table. */
export const filenameSchema = z
  .string()
  .min(1, "the file part needs a filename")
  .max(512, "a filename is at most 512 characters")
  .refine((name) => ![...name].some(isControl), "a filename cannot contain control characters");

const listQuery = z.object({
  limit: intString(1, 10_000).default(10_000),
  order: z.enum(["asc", "desc"]).default("desc"),
  after: z.string().optional(),
  purpose: z.string().optional(),
  provider: providerSchema.optional(),
});

const fileIdOf = (request: HttpRequest) => {
  const shown = request.params.fileId ?? "";
  return { shown, id: parseId(openAiPrefix.file, shown) };
};

/** The Files API routes of the OpenAI dialect. */
export const openAiFileRoutes = (deps: FileDeps) => ({
  /** `files.create`: multipart `file` + `purpose`, plus the seeds' `provider` and `storage_config` fields. */
  async create(request: HttpRequest): Promise<HttpResponse> {
    const tenant = openAiTenant(request);
    const upload = await parseMultipart(request);
    const fields = parseWith(uploadFields, unflattenBrackets(upload.fields), "form");
    const record = await createFile(deps, {
      tenant,
      dialect: "openai",
      provider: fields.provider,
      filename: parseWith(z.object({ filename: filenameSchema }), { filename: upload.file.filename }).filename,
      purpose: fields.purpose,
      contentType: upload.file.contentType,
      body: upload.file.body,
      expiresAfterSeconds: fields.expires_after?.seconds,
      storageConfig: fields.storage_config,
    });
    return json(200, renderFile(record));
  },

  /** `files.list`: cursor pages (`after` is the last id seen), `has_more` drives the SDK's auto-pagination. */
  async list(request: HttpRequest): Promise<HttpResponse> {
    const tenant = openAiTenant(request);
    const query = parseWith(listQuery, unflattenBrackets(Object.entries(request.query)), "query");
    let after: string | undefined;
    if (query.after !== undefined) {
      after = parseId(openAiPrefix.file, query.after);
      if (!after) throw new BadRequestError(`Invalid 'after': ${query.after} is not a file id.`, { param: "after" });
    }
    const page = await listFiles(deps, tenant, {
      limit: query.limit,
      order: query.order,
      after,
      where: { purpose: query.purpose, provider: query.provider },
    });
    const data = page.items.map(renderFile);
    return json(200, {
      object: "list",
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: page.hasMore,
    });
  },

  async retrieve(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = fileIdOf(request);
    return json(200, renderFile(await getFile(deps, openAiTenant(request), id, shown)));
  },

  async delete(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = fileIdOf(request);
    await deleteFile(deps, openAiTenant(request), id, shown);
    return json(200, { id: shown, object: "file", deleted: true });
  },

  /** `files.content`: the bytes exactly as uploaded, or a redirect to S3 when too large for a Lambda response. */
  async content(request: HttpRequest): Promise<HttpResponse> {
    const { shown, id } = fileIdOf(request);
    const file = await getFile(deps, openAiTenant(request), id, shown);
    const content = await readFileContent(deps, file);
    if (content.kind === "redirect") return redirect(content.url);
    return bytes(200, content.body, "application/octet-stream", {
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
    });
  },
});
