import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCredential } from "../../lambdas/core/credentials";
import { startTestGateway } from "../support/gateway";
import { everyRoute } from "../support/routes";

/** Names that would reach a prototype, in every place a caller names things. */
const hostileQuery = "__proto__[polluted]=1&constructor[prototype][polluted]=1&a[__proto__][polluted]=1";
const hostileJson = '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"requests":[]}';

describe("names a caller chooses never reach a prototype (every route of every dialect, auth on)", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let attacker: NewCredential;
  let victim: NewCredential;
  const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();
  const before = prototypeKeys();

  beforeAll(async () => {
    gateway = await startTestGateway({ auth: "keys" });
    attacker = await gateway.gateway.createCredential("attacker");
    victim = await gateway.gateway.createCredential("victim");
  });
  afterAll(() => gateway.stop());

  it("answers every hostile query, body and form with a 4xx at most, and pollutes nothing", async () => {
    const victimClient = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: victim.apiKey, maxRetries: 0 });
    const kept = await victimClient.files.create({
      file: await toFile(Buffer.from("kept"), "v.txt"),
      purpose: "user_data",
    });
    const routes = everyRoute().map((route) => ({
      method: route.method,
      path: route.path
        .replace("{proxy+}", "hostile-bucket/key.jsonl")
        .replace(/\{[^}]+\}/g, "zzzzzzzzzzzzzzzzzzzzzzzz"),
    }));
    expect(routes.length).toBeGreaterThan(30);
    const statuses: string[] = [];
    for (const { method, path } of routes) {
      const response = await fetch(`${gateway.url}${path}?${hostileQuery}`, {
        method,
        headers: {
          authorization: `Bearer ${attacker.apiKey}`,
          "x-api-key": attacker.apiKey,
          "x-goog-api-key": attacker.apiKey,
          "content-type": "application/json",
        },
        ...(method === "GET" || method === "HEAD" || method === "DELETE" ? {} : { body: hostileJson }),
      });
      await response.arrayBuffer();
      statuses.push(`${response.status} ${method} ${path}`);
    }
    expect(statuses.filter((s) => s.startsWith("5"))).toEqual([]);
    // The OpenAI form parser and the reproductions of F1, named.
    const form = new FormData();
    form.append("purpose", "user_data");
    form.append("__proto__[x]", "1");
    form.append("file", new Blob(["x"]), "x.txt");
    const refused = await fetch(`${gateway.url}/openai/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${attacker.apiKey}` },
      body: form,
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { param: "__proto__" } });
    const listed = await fetch(`${gateway.url}/openai/files?__proto__[limit]=zzz`, {
      headers: { authorization: `Bearer ${attacker.apiKey}` },
    });
    expect(listed.status).toBe(400);
    // Nothing reached Object.prototype of this process (the gateway runs in it), and the other tenant is served.
    expect(prototypeKeys()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await victimClient.files.list()).data.map((f) => f.id)).toEqual([kept.id]);
    expect((await victimClient.files.retrieve(kept.id)).id).toBe(kept.id);
  });
});
