// Generates the native kernels' N-API ABI from its one description (tools/native-abi-kernels.ts):
// native/fused_abi.h (each fused kernel's N-API function: positional unpacking, length checks,
// the C call; the export table) and src/backend/native/fused-abi.ts (the addon's exact signatures
// and a marshaller per kernel taking named fields); the primitives' pair through
// tools/native-abi-primitives.ts. Depends on node:fs/crypto and the description.
// Usage: node --import tsx tools/native-abi.ts [--check]   (test/native/abi.test.ts checks too)

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ArgSpec,
  GEOMETRY_CHECK,
  GEOMETRY_FIELDS,
  KERNELS,
  type KernelSpec,
} from "./native-abi-kernels.ts";
import {
  PRIM_C_PATH,
  PRIM_TS_PATH,
  renderPrimitivesC,
  renderPrimitivesTs,
} from "./native-abi-primitives.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const C_PATH = "native/fused_abi.h";
export const TS_PATH = "src/backend/native/fused-abi.ts";
const MAX_ARGS = 20; /* MAXARGS in native/fused_addon.c */
const WIDTH = 100; /* biome's line width */

/** Hash of the description: the addon and the TypeScript side must agree on it. */
export function abiHash(): string {
  const text = JSON.stringify({ GEOMETRY_FIELDS, GEOMETRY_CHECK, KERNELS });
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const pascal = (s: string) => s[0]!.toUpperCase() + s.slice(1);
const isScalar = (s: ArgSpec) => !["f32", "i32", "scratch", "list"].includes(s.kind);
const C_SCALAR = { int64: "int64_t", int32: "int32_t", float: "float", double: "double" };

/** Throws when an expression names something the kernel has not unpacked before it. */
function checkNames(name: string, k: KernelSpec, expr: string, known: Set<string>): void {
  const stripped = expr
    .replace(/(\.|->)\s*[A-Za-z_]\w*/g, "") /* fields */
    .replace(/[A-Za-z_]\w*\s*\(/g, "("); /* functions */
  for (const id of stripped.match(/[A-Za-z_]\w*/g) ?? []) {
    if (known.has(id) || id === "INT32_MAX") continue;
    if (id === "g" && k.geometry) continue;
    throw new Error(`native-abi: ${name}: "${expr}" names ${id}, which is not unpacked before it`);
  }
}

/** Throws when a kernel's description is inconsistent (see checkNames; every argument passed on). */
export function checkKernel(name: string, k: KernelSpec): void {
  if (k.args.length > MAX_ARGS) throw new Error(`native-abi: ${name} takes over ${MAX_ARGS}`);
  const scalars = new Set(k.args.filter(([, s]) => isScalar(s)).map(([n]) => n));
  for (const [cond] of k.checks ?? []) checkNames(name, k, cond, scalars);
  const known = new Set(scalars);
  for (const [arg, s] of k.args) {
    if (s.kind === "f32" || s.kind === "i32") {
      if ((s.len === undefined) === (s.lengthAs === undefined))
        throw new Error(`native-abi: ${name}.${arg} needs exactly one of len and lengthAs`);
      if (s.len !== undefined) checkNames(name, k, s.len, known);
      if (s.lengthAs !== undefined) known.add(s.lengthAs);
    } else if (s.kind === "scratch") {
      checkNames(name, k, s.len, known);
      if (KERNELS[s.sizer]?.returns !== "number")
        throw new Error(`native-abi: ${name}.${arg}: sizer ${s.sizer} returns no number`);
    }
    known.add(arg);
  }
  const used = `${k.call} ${k.validate ?? ""}`;
  for (const [arg] of k.args) {
    if (!new RegExp(`\\b${arg}\\b`).test(used))
      throw new Error(`native-abi: ${name}.${arg} is unpacked but never passed on`);
  }
  checkNames(name, k, used.replace(/"[^"]*"/g, ""), new Set([...known, "a"]));
}

/** A C call statement, its arguments wrapped under the open parenthesis past the width. */
function cWrap(line: string): string {
  if (line.length <= WIDTH) return line;
  const open = line.indexOf("(") + 1;
  const pad = " ".repeat(open);
  const out: string[] = [];
  let cur = line.slice(0, open);
  for (const part of line.slice(open).split(", ")) {
    const piece = cur.endsWith("(") ? part : `, ${part}`;
    if (cur.length + piece.length + 1 > WIDTH) {
      out.push(`${cur},`);
      cur = pad + part;
    } else cur += piece;
  }
  return [...out, cur].join("\n");
}

/** The N-API function of one kernel. */
function cFunction(name: string, k: KernelSpec): string {
  const sig = `${name}(${k.args.map(([n]) => n).join(", ")})`;
  const L: string[] = [cWrap(`/* ${sig} */`).replace(/\n/g, "\n * ")];
  L.push(`static napi_value js_${snake(name)}(napi_env env, napi_callback_info info) {`);
  L.push("  args a;");
  if (k.geometry) L.push("  kconv g;");
  const start = `!start(env, info, &a, ${k.args.length})`;
  L.push(`  if (${start}${k.geometry ? " || !geometry(&a, &g)" : ""}) return NULL;`);
  k.args.forEach(([arg, s], i) => {
    if (s.kind === "bool") L.push(`  const int ${arg} = flag(&a, ${i});`);
    else if (s.kind === "double") L.push(`  const double ${arg} = num(&a, ${i});`);
    else if (isScalar(s)) {
      const t = C_SCALAR[s.kind as keyof typeof C_SCALAR];
      L.push(`  const ${t} ${arg} = (${t})num(&a, ${i});`);
    }
  });
  for (const [cond, msg] of k.checks ?? []) {
    const test = `  if (!a.failed && !(${cond}))`;
    const act = `fail(&a, "${msg}");`;
    L.push(test.length + act.length < WIDTH ? `${test} ${act}` : `${test}\n    ${act}`);
  }
  k.args.forEach(([arg, s], i) => {
    if (s.kind === "list") L.push(`  napi_value ${arg} = value(&a, ${i});`);
    else if (s.kind === "scratch") L.push(`  float *${arg} = arr(&a, ${i}, F32, ${s.len}, 0);`);
    else if (s.kind === "f32" || s.kind === "i32") {
      const t = `${s.out ? "" : "const "}${s.kind === "f32" ? "float" : "int32_t"} *`;
      const T = s.kind.toUpperCase();
      if (s.lengthAs !== undefined) {
        L.push(`  int64_t ${s.lengthAs} = 0;`);
        L.push(`  ${t}${arg} = arr_len(&a, ${i}, ${T}, &${s.lengthAs});`);
      } else L.push(`  ${t}${arg} = arr(&a, ${i}, ${T}, ${s.len}, ${s.nullable ? 1 : 0});`);
    }
  });
  L.push("  if (a.failed) return NULL;");
  if (k.validate !== undefined) L.push(`  if (!${k.validate}) return NULL;`);
  if (k.returns === "number") {
    L.push("  napi_value r = NULL;");
    L.push(`  napi_create_double(env, (double)${k.call}, &r);`);
    L.push("  return r;");
  } else {
    L.push(cWrap(`  ${k.call};`));
    L.push("  return NULL;");
  }
  L.push("}");
  return L.join("\n");
}

/** native/fused_abi.h */
export function renderC(): string {
  const names = Object.keys(KERNELS);
  for (const n of names) checkKernel(n, KERNELS[n]!);
  const geo = GEOMETRY_FIELDS.map((f, i) => `  g->${f} = m[${i}];`).join("\n");
  const props = names.map(
    (n) => `      {"${n}", NULL, js_${snake(n)}, NULL, NULL, NULL, E, NULL},`,
  );
  return `/* GENERATED by tools/native-abi.ts from tools/native-abi-kernels.ts: do not edit.
 * The fused kernels' N-API functions: each unpacks its positional arguments in the described
 * order (typed arrays checked for type and length, without copies), runs the described checks
 * and calls the kernel. Included once, by native/fused_addon.c, after its helpers (args, start,
 * fail, arr, arr_len, num, flag, value) and handwritten checks. */

#define FUSED_ABI_HASH "${abiHash()}"

/* The window geometry from meta[0..${GEOMETRY_FIELDS.length - 1}]; checks it is consistent. */
static int geometry(args *a, kconv *g) {
  const double *m = kiln_addon_meta(a->env);
${geo}
  if (!(${GEOMETRY_CHECK.replace(/ && g->(kh|pt|groups) /g, " &&\n        g->$1 ")}))
    return fail(a, "kiln fused: bad window geometry");
  return 1;
}

${names.map((n) => cFunction(n, KERNELS[n]!)).join("\n\n")}

#define E napi_enumerable
napi_status kiln_define_fused(napi_env env, napi_value exports) {
  napi_value abi;
  napi_status s = napi_create_string_utf8(env, FUSED_ABI_HASH, NAPI_AUTO_LENGTH, &abi);
  if (s != napi_ok) return s;
  napi_property_descriptor props[] = {
      {"fusedAbi", NULL, NULL, NULL, NULL, abi, E, NULL},
${props.join("\n")}
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
#undef E
`;
}

function tsType(s: ArgSpec): string {
  switch (s.kind) {
    case "f32":
    case "i32":
    case "scratch": {
      const t = s.kind === "i32" ? "Int32Array" : "Float32Array";
      return s.kind !== "scratch" && s.nullable ? `${t} | null` : t;
    }
    case "bool":
      return "boolean";
    case "list":
      return "readonly (Float32Array | number | null)[]";
    default:
      return "number";
  }
}

/** `head(items): tail` on one line when it fits in biome's width, else one item per line. */
function wrap(indent: string, head: string, items: string[], tail: string): string {
  const one = `${indent}${head}${items.join(", ")}${tail}`;
  if (one.length <= WIDTH) return one;
  return `${indent}${head}\n${items.map((x) => `${indent}  ${x},`).join("\n")}\n${indent}${tail}`;
}

/** src/backend/native/fused-abi.ts */
export function renderTs(): string {
  const names = Object.keys(KERNELS);
  const ret = (k: KernelSpec) => (k.returns === "number" ? "number" : "void");
  const sigs = names.map((n) => {
    const k = KERNELS[n]!;
    const params = k.args.map(([a, s]) => `${a}: ${tsType(s)}`);
    return `  /** ${k.doc} */\n${wrap("  ", `${n}(`, params, `): ${ret(k)};`)}`;
  });
  const argTypes = names.map((n) => {
    const k = KERNELS[n]!;
    const fields = k.args.filter(([, s]) => s.kind !== "scratch");
    const lines = [
      ...(k.geometry ? ["  g: WindowGeometry;"] : []),
      ...fields.map(([a, s]) => `  ${a}: ${tsType(s)};`),
    ];
    return `export interface ${pascal(n)}Args {\n${lines.join("\n")}\n}`;
  });
  const calls = names.map((n) => `  ${n}(a: ${pascal(n)}Args): ${ret(KERNELS[n]!)};`);
  const sizers = [...new Set(names.flatMap((n) => KERNELS[n]!.args))]
    .map(([, s]) => (s.kind === "scratch" ? s.sizer : ""))
    .filter((s, i, all) => s !== "" && all.indexOf(s) === i);
  const bodies = names.map((n) => {
    const k = KERNELS[n]!;
    const args = k.args.map(([a, s]) => (s.kind === "scratch" ? `${s.sizer}Scratch()` : `a.${a}`));
    const call = `addon.${n}(`;
    const lines = [`    ${n}(${k.args.length > 0 || k.geometry ? "a" : ""}) {`];
    if (k.geometry) lines.push("      geometry(a.g);");
    lines.push(wrap("      ", `${k.returns === "number" ? "return " : ""}${call}`, args, ");"));
    lines.push("    },");
    return lines.join("\n");
  });
  const scratch = sizers.map(
    (s) => `  let ${s}Buffer = new Float32Array(0);
  /** The work buffer for the geometry already in meta, grown when too small. */
  function ${s}Scratch(): Float32Array {
    const need = addon.${s}();
    if (${s}Buffer.length < need) ${s}Buffer = new Float32Array(need);
    return ${s}Buffer;
  }`,
  );
  return `// GENERATED by tools/native-abi.ts from tools/native-abi-kernels.ts: do not edit.
// The fused kernels' N-API ABI on the TypeScript side: the addon's exact positional signatures
// (native/fused_abi.h unpacks them in this order) and one marshaller per kernel that takes named
// fields, writes the window geometry into meta and passes the fields in that order.
// Depends on backend.ts's types only.

import type { WindowGeometry } from "../backend.ts";

/** Hash of the description; the addon's \`fusedAbi\` must equal it. */
export const FUSED_ABI_HASH = "${abiHash()}";

/** The addon's fused entry points (native/fused_addon.c with native/fused_abi.h). */
export interface NativeFusedAddon {
  /** The hash of the description the addon was built from. */
  readonly fusedAbi: string;
${sigs.join("\n")}
}

export const FUSED_EXPORTS = [
${names.map((n) => `  "${n}",`).join("\n")}
] as const;

${argTypes.join("\n\n")}

/** The marshallers: each takes its kernel's named fields. */
export interface FusedCalls {
${calls.join("\n")}
}

/** The marshallers over an addon; meta is its shared metadata array. A call allocates nothing. */
export function bindFused(addon: NativeFusedAddon, meta: Float64Array): FusedCalls {
  function geometry(g: WindowGeometry): void {
${GEOMETRY_FIELDS.map((f, i) => `    meta[${i}] = g.${f};`).join("\n")}
  }
${scratch.join("\n")}
  return {
${bodies.join("\n")}
  };
}
`;
}

function main(): void {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const [path, text] of [
    [C_PATH, renderC()],
    [TS_PATH, renderTs()],
    [PRIM_C_PATH, renderPrimitivesC()],
    [PRIM_TS_PATH, renderPrimitivesTs()],
  ] as const) {
    const full = join(ROOT, path);
    let old = "";
    try {
      old = readFileSync(full, "utf8");
    } catch {}
    if (old === text) continue;
    if (check) {
      console.error(`${path} is stale: run node --import tsx tools/native-abi.ts`);
      stale++;
    } else {
      writeFileSync(full, text);
      console.log(`wrote ${path}`);
    }
  }
  if (stale > 0) process.exit(1);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
