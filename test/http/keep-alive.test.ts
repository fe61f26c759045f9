import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { BadRequestError } from "../../lambdas/core/errors";
import { answerWithKeepAlive } from "../../lambdas/dialects/bedrock/s3-multipart";
import type { HttpResponse } from "../../lambdas/http/response";

const result: HttpResponse = {
  statusCode: 200,
  headers: { "content-type": "application/xml" },
  body: '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult><ETag>"e"</ETag></CompleteMultipartUploadResult>',
};
/** Work that settles once `release` is called. */
const held = () => {
  let release: (outcome: HttpResponse | Error) => void = () => undefined;
  const work = new Promise<HttpResponse>((resolve, reject) => {
    release = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
  });
  return { work, release: (outcome: HttpResponse | Error) => release(outcome) };
};
const timing = { answerWithinMs: 20, everyMs: 5 };

describe("a CompleteMultipartUpload that outlasts a read timeout, answered as S3 does", () => {
  it("answers as usual what settles at once: the result, or the error with its own status", async () => {
    await expect(answerWithKeepAlive(Promise.resolve(result), timing)).resolves.toBe(result);
    const refused = new BadRequestError("bad part", { code: "InvalidPart" });
    await expect(answerWithKeepAlive(Promise.reject(refused), timing)).rejects.toBe(refused);
  });

  it("past that, answers 200 at once and sends spaces until the result", async () => {
    const { work, release } = held();
    const answer = await answerWithKeepAlive(work, timing);
    expect(answer.statusCode).toBe(200);
    const body = text(answer.stream!);
    setTimeout(() => release(result), 60);
    const sent = await body;
    expect(sent).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n +<CompleteMultipartUploadResult>/);
    expect(sent.match(/<\?xml/g)).toHaveLength(1);
  });

  it("and a failure after the 200 as S3's <Error> in its body, which the SDKs raise", async () => {
    const { work, release } = held();
    const answer = await answerWithKeepAlive(work, timing);
    const body = text(answer.stream!);
    setTimeout(() => release(new BadRequestError("Part 2 is missing.", { code: "InvalidPart" })), 30);
    expect(await body).toMatch(/<Error><Code>InvalidPart<\/Code><Message>Part 2 is missing\.<\/Message><\/Error>$/);
  });
});
