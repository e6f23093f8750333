// Tensor<D> carries its dtype: type tests run the TypeScript compiler (the `typescript`
// devDependency) on snippets. Hand-written snippets state what must and must not compile (an
// `@ts-expect-error` that is not needed is itself an error); generated ones hold the type-level
// rules to the run-time ones: PromoteTypes equals promoteTypes, and for every op below the dtype
// computed at run time is one the static type allows (the type never lies).

import assert from "node:assert/strict";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { type DType, promoteTypes, type Tensor, tensor, where } from "../../src/index.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIR = `${ROOT}test/types/__snippets__/`;
const IMPORT = `import { arange, cat, type DType, eye, fromTypedArray, full, linspace, nn, ones, onesLike, rand, randint, randn, randperm, type Tensor, tensor, where, zeros, zerosLike } from "../../../src/index.ts";
import type { PromoteTypes } from "../../../src/core/dtype.ts";
declare const f: Tensor<"float32">;
declare const f64: Tensor<"float64">;
declare const i: Tensor<"int32">;
declare const b: Tensor<"bool">;
declare const any: Tensor;
declare const n: number;
`;

// What a PyTorch user expects, and the errors the types must catch.
const EXPECTATIONS = `${IMPORT}
const loss = new nn.CrossEntropyLoss().forward(randn(4, 3), randint(0, 3, [4]));
const l: number = loss.item();
const pct: number = loss.item() * 100;
const mask = f.gt(0);
const m: boolean = mask.any().item();
const count: number = mask.sum().item();
const u: number | boolean = any.item();
// @ts-expect-error a float tensor's item() is a number
const wrong1: boolean = f.float().item();
// @ts-expect-error a tensor of unknown dtype may be bool
const wrong2: number = any.item();
// @ts-expect-error a comparison is bool
const wrong3: number = f.eq(1).item();
const widened: Tensor = b;
const widened2: Tensor<"float32" | "int32"> = i;
// @ts-expect-error Tensor<DType> is not a float32 tensor
const narrowed: Tensor<"float32"> = any;
const c1: Tensor<"float32" | "int32"> = tensor([[1, 2], [3, 4]]);
const c2: Tensor<"bool"> = tensor([[true], [false]]);
const c3: Tensor<"float64"> = tensor([1, 2], { dtype: "float64" });
const c4: Tensor<"float32"> = tensor([1, 2], { requiresGrad: true });
// @ts-expect-error an empty boolean[] makes a float32 tensor, as torch.tensor([])
const c5: Tensor<"bool"> = tensor([] as boolean[]);
const c6: Tensor<"float64"> = tensor(new Float64Array(2));
const c7: Tensor<"int32"> = fromTypedArray(new Int32Array(2));
const z1: Tensor<"float32"> = zeros(2, 3);
const z2: Tensor<"int32"> = ones([2, 3], { dtype: "int32" });
const z3: Tensor<"float32"> = randn([2, 3], { requiresGrad: true });
const z4: Tensor<"float32"> = rand(2).add(eye(2)).add(linspace(0, 1, 2));
const z5: Tensor<"int32"> = randint(0, 10, [5]).add(randperm(5));
const z6: Tensor<"int32"> = arange(0, 10, 2);
const z7: Tensor<"float32"> = arange(0, 1, 0.25);
const z8: Tensor<"int32" | "float32"> = arange(n);
// @ts-expect-error arange(n) may be float32
const z9: Tensor<"int32"> = arange(n);
const z10: Tensor<"int32"> = full([2], 7);
// @ts-expect-error the declared type does not choose the dtype: zeros() is float32
const z14: Tensor<"bool"> = zeros(2);
// @ts-expect-error nor does it for full()
const z15: Tensor<"bool"> = full([2], 7);
// @ts-expect-error nor for zerosLike()
const z16: Tensor<"bool"> = zerosLike(f);
const z11: Tensor<"bool"> = zerosLike(b);
const z12: Tensor<"float64"> = onesLike(b, { dtype: "float64" });
declare const opts: { dtype?: DType };
// @ts-expect-error a dtype that is not known statically
const z13: Tensor<"float32"> = zeros(2, opts);
const a1: Tensor<"float32"> = f.add(1).mul(i).sub(b).pow(2);
const a2: Tensor<"int32"> = i.add(1).mul(b).sub(true);
const a3: Tensor<"float32"> = i.add(1.5);
// @ts-expect-error a number may be a non-integer
const a4: Tensor<"int32"> = i.mul(n);
const a5: Tensor<"float32"> = i.div(2);
const a6: Tensor<"float32" | "float64"> = f.add(f64);
const a7: Tensor<"bool"> = f.gt(0).logicalAnd(b).logicalNot();
const a8: Tensor<"float32"> = i.exp().sigmoid().tanh().sqrt();
const a9: Tensor<"float64"> = f64.log();
const a10: Tensor<"float32"> = i.clamp(0, 1.5);
const a11: Tensor<"int32"> = i.clamp(0, 10);
// @ts-expect-error a bound that is not an integer makes int32 float32
const a13: Tensor<"int32"> = i.clamp(0.5);
const a12: Tensor<"float32"> = where(mask, f, 0);
const r1: Tensor<"int32"> = b.sum();
const r2: Tensor<"float32"> = f.sum(1, { keepDim: true }).mean();
const r3: Tensor<"int32"> = f.argmax(1);
const { values, indices } = f64.max(1);
const r4: Tensor<"float64"> = values;
const r5: Tensor<"int32"> = indices;
const r6: Tensor<"float32"> = f.max();
const v1: Tensor<"float32"> = f.reshape(2, 3).index(0).t().unsqueeze(0).contiguous().detach();
const v2: Tensor<"bool">[] = b.split(1);
const v3: Tensor<"float32"> = cat([f, f]);
const k1: Tensor<"float32"> = i.float();
const k2: Tensor<"bool"> = f.bool();
const k3: Tensor<"float64"> = f.to("float64");
// @ts-expect-error int() is int32
const k4: Tensor<"float32"> = f.int();
const mse: number = nn.functional.mseLoss(f, f).item();
const bce: number = new nn.BCEWithLogitsLoss().forward(f, f).item();
const l1: number = new nn.L1Loss().forward(any, any).item();
const q1: Tensor<"int64"> = f.long();
const q2: Tensor<"uint8"> = f.byte();
const q3: Tensor<"int8"> = f.char();
const q4: Tensor<"int16"> = f.short();
const q5: Tensor<"int64"> = tensor([1n, 2n]);
const q6: Tensor<"int64"> = tensor([[1n], [2]]);
const q7: Tensor<"int64"> = tensor([1, 2], { dtype: "int64" });
const q8: Tensor<"int64"> = q7.sum();
const q9: Tensor<"int32"> = q2.sum();
// two integer tensors: either one's dtype when the other may be 0-d, else their promotion
const q10: Tensor<"int16" | "int8" | "uint8"> = q2.add(q3);
const q11: Tensor<"int32" | "int64"> = i.add(q7);
const q12: number = q7.sum().item();
// @ts-expect-error long() is int64, not Kiln's default int32
const q13: Tensor<"int32"> = f.long();
export {};
`;

// A snippet that must fail, so a checker that reports nothing fails this file.
const MUST_FAIL = `${IMPORT}
export const b1: boolean = f.float().item();
`;

const SAMPLE: readonly DType[] = ["bool", "uint8", "int32", "int64", "float32", "float64"];
const SCALARS = ["true", "2", "-3", "2.5"] as const;

function make(dtype: DType, zeroDim: boolean): Tensor {
  const t = tensor([1, 2], { dtype });
  return zeroDim ? t.index(0) : t;
}

interface Case {
  /** The expression in the snippet, over `a` (Tensor<A>) and, for binary ops, `b` (Tensor<B>). */
  expr: string;
  run: (a: Tensor, b: Tensor) => Tensor;
  binary: boolean;
}

const CASES: Case[] = [
  { expr: "a.add(b)", run: (a, b) => a.add(b), binary: true },
  { expr: "a.sub(b)", run: (a, b) => a.sub(b), binary: true },
  { expr: "a.mul(b)", run: (a, b) => a.mul(b), binary: true },
  { expr: "a.div(b)", run: (a, b) => a.div(b), binary: true },
  { expr: "a.pow(b)", run: (a, b) => a.pow(b), binary: true },
  { expr: "a.maximum(b)", run: (a, b) => a.maximum(b), binary: true },
  { expr: "a.remainder(b)", run: (a, b) => a.remainder(b), binary: true },
  { expr: "a.eq(b)", run: (a, b) => a.eq(b), binary: true },
  { expr: "a.logicalAnd(b)", run: (a, b) => a.logicalAnd(b), binary: true },
  { expr: "a.matmul(b)", run: (a, b) => a.matmul(b), binary: true },
  { expr: "where(a.gt(0), a, b)", run: (a, b) => where(a.gt(0), a, b), binary: true },
  ...SCALARS.flatMap((s): Case[] => {
    const v = JSON.parse(s) as number | boolean;
    return [
      { expr: `a.add(${s})`, run: (a) => a.add(v), binary: false },
      { expr: `a.mul(${s})`, run: (a) => a.mul(v), binary: false },
      { expr: `a.div(${s})`, run: (a) => a.div(v), binary: false },
      { expr: `a.pow(${s})`, run: (a) => a.pow(v), binary: false },
      { expr: `a.clamp(${s})`, run: (a) => a.clamp(v), binary: false },
      { expr: `where(a.gt(0), ${s}, a)`, run: (a) => where(a.gt(0), v, a), binary: false },
    ];
  }),
  // A plain `number` may hold either kind of value.
  ...["2", "2.5"].flatMap((s): Case[] => [
    { expr: "a.add(n)", run: (a) => a.add(Number(s)), binary: false },
    { expr: "a.floorDivide(n)", run: (a) => a.floorDivide(Number(s)), binary: false },
  ]),
  { expr: "a.exp()", run: (a) => a.exp(), binary: false },
  { expr: "a.sigmoid()", run: (a) => a.sigmoid(), binary: false },
  { expr: "a.abs()", run: (a) => a.abs(), binary: false },
  { expr: "a.neg()", run: (a) => a.neg(), binary: false },
  { expr: "a.relu()", run: (a) => a.relu(), binary: false },
  { expr: "a.round()", run: (a) => a.round(), binary: false },
  { expr: "a.isnan()", run: (a) => a.isnan(), binary: false },
  { expr: "a.sum()", run: (a) => a.sum(), binary: false },
  { expr: "a.prod()", run: (a) => a.prod(), binary: false },
  { expr: "a.cumsum(0)", run: (a) => a.cumsum(0), binary: false },
  { expr: "a.mean()", run: (a) => a.mean(), binary: false },
  { expr: "a.std()", run: (a) => a.std(), binary: false },
  { expr: "a.logsumexp(0)", run: (a) => a.logsumexp(0), binary: false },
  { expr: "a.max()", run: (a) => a.max(), binary: false },
  { expr: "a.amin()", run: (a) => a.amin(), binary: false },
  { expr: "a.argmax()", run: (a) => a.argmax(), binary: false },
  { expr: "a.any()", run: (a) => a.any(), binary: false },
  { expr: "a.nonzero()", run: (a) => a.nonzero(), binary: false },
  { expr: "a.maskedFill(a.gt(0), 2.5)", run: (a) => a.maskedFill(a.gt(0), 2.5), binary: false },
  { expr: "a.clone()", run: (a) => a.clone(), binary: false },
  { expr: "a.float()", run: (a) => a.float(), binary: false },
];

/** One line per (case, dtypes) pair that ran: the run-time dtype must fit the static one. */
function neverLiesSnippet(): { text: string; lines: number } {
  let text = `${IMPORT}\n`;
  let lines = 0;
  for (const c of CASES) {
    for (const da of SAMPLE) {
      for (const db of c.binary ? SAMPLE : (["bool"] as const)) {
        const seen = new Set<DType>();
        for (const za of [false, true]) {
          for (const zb of [false, true]) {
            try {
              seen.add(c.run(make(da, za), make(db, zb)).dtype);
            } catch {
              // PyTorch refuses this combination too (bool - bool, mean of int32, ...).
            }
          }
        }
        for (const d of seen) {
          text += `{ const a = null! as Tensor<"${da}">; const b = null! as Tensor<"${db}">; void b; const r = ${c.expr}; const d: typeof r.dtype = "${d}"; void d; }\n`;
          lines++;
        }
      }
    }
  }
  return { text, lines };
}

/** PromoteTypes<A, B> must be exactly what promoteTypes(A, B) returns. */
function promotionSnippet(): string {
  let text = `${IMPORT}\ntype Eq<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;\n`;
  const all: DType[] = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
  ];
  for (const a of all) {
    for (const b of all) {
      text += `{ const e: Eq<PromoteTypes<"${a}", "${b}">, "${promoteTypes(a, b)}"> = true; void e; }\n`;
    }
  }
  return text;
}

let diagnostics: Map<string, string[]>;
let neverLiesLines = 0;

before(() => {
  const neverLies = neverLiesSnippet();
  neverLiesLines = neverLies.lines;
  const files = new Map<string, string>([
    [`${DIR}expectations.ts`, EXPECTATIONS],
    [`${DIR}must-fail.ts`, MUST_FAIL],
    [`${DIR}never-lies.ts`, neverLies.text],
    [`${DIR}promotion.ts`, promotionSnippet()],
  ]);
  const options: ts.CompilerOptions = {
    strict: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: ["node"],
    typeRoots: [`${ROOT}node_modules/@types`],
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (p) => files.has(p) || fileExists.call(host, p);
  host.readFile = (p) => files.get(p) ?? readFile.call(host, p);
  host.getSourceFile = (p, lang, ...rest) => {
    const text = files.get(p);
    return text === undefined
      ? getSourceFile.call(host, p, lang, ...rest)
      : ts.createSourceFile(p, text, lang);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  diagnostics = new Map();
  for (const name of files.keys()) {
    const sf = program.getSourceFile(name);
    assert.ok(sf, name);
    const ds = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    diagnostics.set(
      name.slice(DIR.length),
      ds.map((d) => {
        const { line } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
        return `line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      }),
    );
  }
});

test("correct PyTorch-style code compiles and wrong code is rejected", () => {
  assert.deepEqual(diagnostics.get("expectations.ts"), []);
});

test("the checker reports a wrong line (this test file can fail)", () => {
  const ds = diagnostics.get("must-fail.ts") ?? [];
  assert.equal(ds.length, 1, ds.join("\n"));
  assert.match(ds[0]!, /line 10: Type 'number' is not assignable to type 'boolean'/);
});

test("PromoteTypes is promoteTypes at the type level", () => {
  assert.deepEqual(diagnostics.get("promotion.ts"), []);
});

test("the static dtype of each op allows the dtype it gives at run time", () => {
  assert.ok(neverLiesLines > 200, `only ${neverLiesLines} checks ran`);
  assert.deepEqual(diagnostics.get("never-lies.ts"), []);
});
