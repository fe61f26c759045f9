import * as z from "zod";
import { PayloadTooLargeError } from "../../core/errors";
import type { FileDeps } from "../../core/files";
import { parseId, renderId } from "../../core/ids";
import { type UploadRecord, uploadPurposes } from "../../core/model";
import { providerSchema } from "../../core/schemas";
import { addPart, cancelPartedUpload, completePartedUpload, maxPartBytes, startPartedUpload } from "../../core/uploads";
import { parseWith } from "../../core/validation";
import { parseMultipart } from "../../http/multipart";
import { type HttpRequest, jsonBody, unflattenBrackets } from "../../http/request";
import { type HttpResponse, json } from "../../http/response";
import { filenameSchema, openAiPrefix, openAiTenant, renderFile, seconds } from "./files";

const createBody = z.object({
  filename: filenameSchema,
  purpose: z.enum(uploadPurposes, { error: `purpose must be one of ${uploadPurposes.join(", ")}` }),
  bytes: z.number().int().positive(),
  mime_type: z.string().min(1),
  provider: providerSchema.default("openai"),
  expires_after: z.unknown().optional(),
});

const completeBody = z.object({
  part_ids: z.array(z.string()).min(1, "name at least one part"),
  md5: z.string().optional(),
});

/** An upload as OpenAI's Upload object (`file` once completed). */
const renderUpload = (upload: UploadRecord, file?: Parameters<typeof renderFile>[0]) => ({
  id: renderId(openAiPrefix.upload, upload.id),
  object: "upload",
  bytes: upload.size,
  created_at: seconds(upload.createdAt),
  expires_at: seconds(upload.expiresAt),
  filename: upload.displayName ?? "upload",
  purpose: upload.purpose ?? "user_data",
  status: upload.cancelled ? "cancelled" : upload.fileId ? "completed" : "pending",
  file: file ? renderFile(file) : null,
});

const uploadIdOf = (request: HttpRequest) => {
  const shown = request.params.uploadId ?? "";
  return { shown, uploadId: parseId(openAiPrefix.upload, shown) };
};

/**
 * OpenAI's Uploads API: `uploads.create`, `uploads.parts.create`, `uploads.complete`, `uploads.cancel` (and
 * Python's `uploads.upload_file_chunked`). Parts of up to 4 MiB each, files up to 200 MB; the parts are joined
 * in S3 by streaming, never held whole.
 */
export const openAiUploadRoutes = (deps: FileDeps) => ({
  async create(request: HttpRequest): Promise<HttpResponse> {
    const query = unflattenBrackets(Object.entries(request.query));
    const body = parseWith(createBody, { provider: query.provider, ...(jsonBody(request) as object) }, "body");
    const upload = await startPartedUpload(deps, {
      tenant: openAiTenant(request),
      dialect: "openai",
      provider: body.provider,
      filename: body.filename,
      purpose: body.purpose,
      size: body.bytes,
      mimeType: body.mime_type,
    });
    return json(200, renderUpload(upload));
  },

  /** `uploads.parts.create`: the part's bytes in the multipart field `data`. */
  async addPart(request: HttpRequest): Promise<HttpResponse> {
    const { shown, uploadId } = uploadIdOf(request);
    const form = await parseMultipart(request, "data");
    if (form.file.body.byteLength > maxPartBytes) {
      throw new PayloadTooLargeError(
        `The part is ${form.file.body.byteLength} bytes; this gateway takes parts of at most ${maxPartBytes} bytes ` +
          "(4 MiB): send smaller parts (Python: client.uploads.upload_file_chunked(..., part_size=4 * 1024 * 1024)).",
        { param: "data" },
      );
    }
    const { upload, partId, createdAt } = await addPart(deps, {
      tenant: openAiTenant(request),
      uploadId,
      shown,
      body: form.file.body,
    });
    return json(200, {
      id: renderId(openAiPrefix.part, partId),
      object: "upload.part",
      created_at: seconds(createdAt),
      upload_id: renderId(openAiPrefix.upload, upload.id),
    });
  },

  async complete(request: HttpRequest): Promise<HttpResponse> {
    const { shown, uploadId } = uploadIdOf(request);
    const body = parseWith(completeBody, jsonBody(request), "body");
    const { upload, file } = await completePartedUpload(deps, {
      tenant: openAiTenant(request),
      uploadId,
      shown,
      partIds: body.part_ids.map((id) => parseId(openAiPrefix.part, id)),
      md5: body.md5,
    });
    return json(200, renderUpload(upload, file));
  },

  async cancel(request: HttpRequest): Promise<HttpResponse> {
    const { shown, uploadId } = uploadIdOf(request);
    return json(200, renderUpload(await cancelPartedUpload(deps, { tenant: openAiTenant(request), uploadId, shown })));
  },
});
