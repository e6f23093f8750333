// What the browser bundle (tools/build-browser.mjs) links in place of the Node built-ins that
// modules mixing pure and file functions import (safetensors.ts, report.ts, mnist.ts, ...):
// node:path and node:url as pure string functions, node:zlib through fflate, node:os from
// navigator, and node:fs / node:crypto / node:module / node:worker_threads as functions that throw
// NodeOnlyError naming the byte-level alternative. Never imported by Node code; depends on fflate.

import { Gunzip, Inflate } from "fflate";

/** Thrown in the browser by a function that needs a Node API (a file path, a worker thread). */
export class NodeOnlyError extends Error {
  constructor(api: string) {
    super(
      `${api} is not available in the browser (kiln-torch/browser): pass bytes instead of paths ` +
        "(parseSafetensors/serializeSafetensors, MNIST.fromIdx, load(Uint8Array), exportOnnxBytes, renderReport) " +
        "and use numWorkers: 0",
    );
    this.name = "NodeOnlyError";
  }
}

function nodeOnly(api: string): (...args: unknown[]) => never {
  return () => {
    throw new NodeOnlyError(api);
  };
}

// node:path (POSIX), pure.
export const sep = "/";
export function normalize(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (part !== ".." || !abs) out.push(part);
  }
  const s = (abs ? "/" : "") + out.join("/");
  return s === "" ? "." : s;
}
export function join(...parts: string[]): string {
  return normalize(parts.filter((s) => s !== "").join("/"));
}
export function resolve(...parts: string[]): string {
  let s = "";
  for (const p of parts) s = p.startsWith("/") ? p : `${s}/${p}`;
  return normalize(s.startsWith("/") ? s : `/${s}`);
}
export function dirname(p: string): string {
  const stripped = p.replace(/\/+$/, "");
  if (stripped === "") return p.startsWith("/") ? "/" : ".";
  const i = stripped.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : stripped.slice(0, i);
}
export function basename(p: string, ext?: string): string {
  const b = p.replace(/\/+$/, "").split("/").pop() ?? "";
  return ext !== undefined && b.endsWith(ext) ? b.slice(0, -ext.length) : b;
}
export function extname(p: string): string {
  const b = basename(p);
  const i = b.lastIndexOf(".");
  return i <= 0 ? "" : b.slice(i);
}
export function relative(from: string, to: string): string {
  const a = resolve(from).split("/").filter(Boolean);
  const b = resolve(to).split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
}

// node:url, pure.
export function fileURLToPath(url: string | URL): string {
  return decodeURIComponent(new URL(String(url)).pathname);
}
export function pathToFileURL(p: string): URL {
  return new URL(`file://${resolve(p)}`);
}

// node:os.
export function availableParallelism(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}
export const cpus = (): unknown[] => new Array(availableParallelism()).fill({});
export const hostname = (): string => "browser";
export const tmpdir = (): string => "/tmp";
export const homedir = (): string => "/";
export const EOL = "\n";

// node:zlib through fflate, with zlib's output cap (maxOutputLength -> ERR_BUFFER_TOO_LARGE).
interface InflateOptions {
  maxOutputLength?: number;
  finishFlush?: number;
}
export const constants = { Z_SYNC_FLUSH: 2, Z_FINISH: 4 };

function capped(make: (ondata: (chunk: Uint8Array) => void) => Gunzip | Inflate) {
  return (input: Uint8Array, options: InflateOptions = {}): Uint8Array => {
    const max = options.maxOutputLength ?? Number.POSITIVE_INFINITY;
    const chunks: Uint8Array[] = [];
    let total = 0;
    const stream = make((chunk) => {
      total += chunk.length;
      if (total > max) {
        throw Object.assign(new RangeError(`inflated output passes ${max} bytes`), {
          code: "ERR_BUFFER_TOO_LARGE",
        });
      }
      chunks.push(chunk);
    });
    const step = 1 << 16;
    for (let at = 0; at < input.length; at += step) {
      stream.push(input.subarray(at, at + step), at + step >= input.length);
    }
    if (input.length === 0) stream.push(input, true);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  };
}
export const gunzipSync = capped((ondata) => new Gunzip((c) => ondata(c)));
export const inflateRawSync = capped((ondata) => new Inflate((c) => ondata(c)));

// node:fs, node:crypto, node:module, node:worker_threads: need Node.
export const existsSync = (): boolean => false;
export const readFileSync = nodeOnly("fs.readFileSync");
export const writeFileSync = nodeOnly("fs.writeFileSync");
export const statSync = nodeOnly("fs.statSync");
export const fstatSync = nodeOnly("fs.fstatSync");
export const readdirSync = nodeOnly("fs.readdirSync");
export const mkdirSync = nodeOnly("fs.mkdirSync");
export const rmSync = nodeOnly("fs.rmSync");
export const openSync = nodeOnly("fs.openSync");
export const closeSync = nodeOnly("fs.closeSync");
export const readSync = nodeOnly("fs.readSync");
export const writeSync = nodeOnly("fs.writeSync");
export const fsyncSync = nodeOnly("fs.fsyncSync");
export const renameSync = nodeOnly("fs.renameSync");
export const realpathSync = nodeOnly("fs.realpathSync");
export const copyFileSync = nodeOnly("fs.copyFileSync");
export const ftruncateSync = nodeOnly("fs.ftruncateSync");
export const unlinkSync = nodeOnly("fs.unlinkSync");
export const appendFileSync = nodeOnly("fs.appendFileSync");
export type Stats = { size: number; isFile(): boolean; isDirectory(): boolean };
export const createHash = nodeOnly("crypto.createHash");
export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}
export function createRequire(_url: string | URL): { resolve(id: string): never } {
  const require = nodeOnly("require") as ((id: string) => never) & { resolve(id: string): never };
  require.resolve = nodeOnly("require.resolve");
  return require;
}
export class Worker {
  constructor() {
    throw new NodeOnlyError("worker_threads.Worker");
  }
}
export const parentPort = null;
export const workerData = undefined;
export const isMainThread = true;
