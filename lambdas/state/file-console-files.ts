import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { consoleFileNames } from "../core/console-files";
import type { ConsoleFiles } from "../core/ports";

/**
 * The console's files under a root: the deployed function's task root (the stack copies them into its asset, in
 * this same layout) or, locally, the project. Only the names of `consoleFileNames` are served.
 */
export class FileConsoleFiles implements ConsoleFiles {
  private readonly cache = new Map<string, Promise<Uint8Array>>();

  constructor(private readonly root: string) {}

  async read(name: string) {
    const file = Object.hasOwn(consoleFileNames, name) ? consoleFileNames[name] : undefined;
    if (!file) return undefined;
    let body = this.cache.get(name);
    if (!body) {
      body = readFile(join(this.root, file.path)).then((buffer) => new Uint8Array(buffer));
      this.cache.set(name, body);
    }
    return { body: await body, contentType: file.contentType };
  }
}
