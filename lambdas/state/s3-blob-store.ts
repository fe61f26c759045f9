import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { BlobStore, StoredBlob } from "../core/ports";

/** The blob store on the staging S3 bucket. */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async putStream(key: string, body: Readable, contentType: string): Promise<void> {
    await new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType },
      queueSize: 2,
    }).done();
  }

  /**
   * Asked by listing rather than HeadObject: without an unconditioned s3:ListBucket, S3 answers a HeadObject of a
   * missing key 403, not 404, while a listing under a granted prefix answers either way.
   */
  async exists(key: string): Promise<boolean> {
    const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: key, MaxKeys: 1 }));
    return page.Contents?.[0]?.Key === key;
  }

  async deletePrefix(prefix: string): Promise<void> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken }),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (keys.length > 0) {
        await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
      }
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
  }

  async list(prefix: string): Promise<StoredBlob[]> {
    const found: StoredBlob[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        const lastModified = object.LastModified?.getTime() ?? 0;
        found.push({ key: object.Key, size: object.Size ?? 0, etag: object.ETag ?? "", lastModified });
      }
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    return found;
  }

  async copyIn(
    from: { bucket: string; key: string },
    toKey: string,
  ): Promise<{ size: number; contentType: string } | undefined> {
    let head: HeadObjectCommandOutput;
    try {
      head = await this.s3.send(new HeadObjectCommand({ Bucket: from.bucket, Key: from.key }));
    } catch (error) {
      if ((error as { name?: string }).name === "NotFound") return undefined;
      throw error;
    }
    await this.copy(from, { bucket: this.bucket, key: toKey }, head.ContentLength ?? 0);
    return { size: head.ContentLength ?? 0, contentType: head.ContentType ?? "application/octet-stream" };
  }

  async copyOut(fromKey: string, to: { bucket: string; key: string }): Promise<void> {
    const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: fromKey }));
    await this.copy({ bucket: this.bucket, key: fromKey }, to, head.ContentLength ?? 0);
  }

  /** CopyObject (one call up to 5 GB, S3's limit for it; larger objects would need UploadPartCopy). */
  private async copy(from: { bucket: string; key: string }, to: { bucket: string; key: string }, size: number) {
    if (size > 5 * 1024 ** 3) throw new Error(`s3://${from.bucket}/${from.key} is over 5 GB; CopyObject takes 5 GB.`);
    await this.s3.send(
      new CopyObjectCommand({
        Bucket: to.bucket,
        Key: to.key,
        CopySource: `${from.bucket}/${from.key.split("/").map(encodeURIComponent).join("/")}`,
      }),
    );
  }

  async concat(toKey: string, fromKeys: readonly string[], contentType: string): Promise<void> {
    const source = (key: string) => `${this.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
    if (fromKeys.length === 1) {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: toKey,
          CopySource: source(fromKeys[0]!),
          ContentType: contentType,
          MetadataDirective: "REPLACE",
        }),
      );
      return;
    }
    const { UploadId } = await this.s3.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: toKey, ContentType: contentType }),
    );
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      // Eight copies at a time: S3 does the copying; this only waits for it.
      for (let i = 0; i < fromKeys.length; i += 8) {
        const batch = fromKeys.slice(i, i + 8).map(async (key, j) => {
          const PartNumber = i + j + 1;
          const { CopyPartResult } = await this.s3.send(
            new UploadPartCopyCommand({
              Bucket: this.bucket,
              Key: toKey,
              UploadId,
              PartNumber,
              CopySource: source(key),
            }),
          );
          return { ETag: CopyPartResult?.ETag ?? "", PartNumber };
        });
        parts.push(...(await Promise.all(batch)));
      }
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: toKey,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      await this.s3
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: toKey, UploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  async metadata(key: string): Promise<Record<string, string>> {
    const { Metadata } = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    return Metadata ?? {};
  }

  async stream(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const Range = range ? `bytes=${range.start}-${range.end}` : undefined;
    const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range }));
    if (!(Body instanceof Readable)) throw new Error(`S3 returned no readable body for ${key}`);
    return Body;
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Uint8Array> {
    const Range = range ? `bytes=${range.start}-${range.end}` : undefined;
    const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range }));
    if (!Body) throw new Error(`S3 returned no body for ${key}`);
    return Body.transformToByteArray();
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async presignGet(key: string, options: { expiresInSeconds: number; filename?: string }): Promise<string> {
    const disposition = options.filename
      ? `attachment; filename*=UTF-8''${encodeURIComponent(options.filename)}`
      : undefined;
    return getSignedUrl(
      this.s3,
      new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentDisposition: disposition }),
      { expiresIn: options.expiresInSeconds },
    );
  }
}
