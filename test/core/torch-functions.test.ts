// The torch.X root functions that mirror Tensor methods: each gives exactly what the method gives
// (values, dtype, gradient node), passes PyTorch's other arguments through, and refuses what the
// method refuses. The @ts-expect-error lines are type tests: tsc fails if they compile.

import assert from "node:assert/strict";
import { test } from "node:test";
import * as torch from "../../src/index.ts";
import { AutogradError, DTypeError, type Tensor, tensor, ValueError } from "../../src/index.ts";

const x = tensor([
  [0.5, -1.25, 2.0],
  [1.5, 0.25, -0.75],
]);
const pos = tensor([
  [0.5, 1.25, 2.0],
  [1.5, 0.25, 0.75],
]);
const unit = tensor([
  [0.5, -0.25, 0.125],
  [0.75, 0.25, -0.625],
]);
const mask = x.gt(0);
const idx = tensor([[0], [2]], { dtype: "int32" });

/** One call per root function: [name, args after the input]. Inputs pick each op's domain. */
const CALLS: [string, Tensor, unknown[]][] = [
  ...[
    "abs neg exp expm1 exp2 sin cos tan atan sinh cosh tanh asinh sigmoid relu erf erfc sign",
    "floor ceil round trunc isnan logicalNot square clone numel nonzero t",
  ]
    .join(" ")
    .split(" ")
    .map((n): [string, Tensor, unknown[]] => [n, x, []]),
  ...["log", "log1p", "log2", "log10", "sqrt", "rsqrt", "reciprocal", "acosh"].map(
    (n): [string, Tensor, unknown[]] => [n, pos.add(1), []],
  ),
  ...["asin", "acos", "atanh"].map((n): [string, Tensor, unknown[]] => [n, unit, []]),
  ...["add", "sub", "mul", "div", "maximum", "minimum", "atan2", "hypot", "logaddexp"].map(
    (n): [string, Tensor, unknown[]] => [n, x, [pos]],
  ),
  ...["pow", "fmod", "remainder", "floorDivide", "xlogy"].map((n): [string, Tensor, unknown[]] => [
    n,
    pos,
    [x.abs().add(0.5)],
  ]),
  ...["eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr", "logicalXor"].map(
    (n): [string, Tensor, unknown[]] => [n, x, [pos]],
  ),
  ["add", x, [pos, { alpha: 2 }]],
  ["clamp", x, [-0.5, 1]],
  ["lerp", x, [pos, 0.25]],
  ["sum", x, [1, true]],
  ["mean", x, [0]],
  ["prod", x, [1]],
  ["max", x, []],
  ["min", x, [pos]],
  ["amax", x, [1]],
  ["amin", x, [0]],
  ["argmax", x, [1]],
  ["argmin", x, []],
  ["std", x, [1]],
  ["var", x, [0]],
  ["logsumexp", x, [1]],
  ["cumsum", x, [1]],
  ["all", mask, []],
  ["any", mask, [1]],
  ["flatten", x, []],
  ["reshape", x, [[3, 2]]],
  ["transpose", x, [0, 1]],
  ["permute", x, [[1, 0]]],
  ["squeeze", x.unsqueeze(0), []],
  ["unsqueeze", x, [1]],
  ["flip", x, [[1]]],
  ["narrow", x, [1, 0, 2]],
  ["select", x, [1, 2]],
  ["gather", x, [1, idx]],
  ["scatter", x, [1, idx, pos]],
  ["scatterAdd", x, [1, idx, pos]],
  ["indexSelect", x, [1, tensor([2, 0], { dtype: "int32" })]],
  ["maskedSelect", x, [mask]],
  ["maskedFill", x, [mask, 0]],
  ["chunk", x, [3, 1]],
  ["split", x, [1, 0]],
];

type Callable = (...a: unknown[]) => unknown;
const root = torch as unknown as Record<string, Callable>;

function same(a: unknown, b: unknown, what: string): void {
  if (Array.isArray(a)) {
    assert.ok(Array.isArray(b), `${what}: an array`);
    assert.equal(a.length, (b as unknown[]).length, `${what}: length`);
    for (const [i, v] of a.entries()) same(v, (b as unknown[])[i], `${what}[${i}]`);
  } else if (a instanceof torch.Tensor) {
    const e = b as Tensor;
    assert.equal(a.dtype, e.dtype, `${what}: dtype`);
    assert.deepEqual(a.shape, e.shape, `${what}: shape`);
    assert.deepEqual(a.tolist(), e.tolist(), `${what}: values`);
  } else assert.deepEqual(a, b, what);
}

test("each root function gives what the method gives", () => {
  const seen = new Set<string>();
  for (const [name, input, args] of CALLS) {
    const fn = root[name];
    assert.equal(typeof fn, "function", `${name} is a root export`);
    const method = (input as unknown as Record<string, Callable>)[name]!;
    same(fn!(input, ...args), method.apply(input, args), `${name}(${args.length} args)`);
    seen.add(name);
  }
  assert.ok(seen.size >= 90, `only ${seen.size} functions checked`);
});

test("gradients flow through the root functions with the method's node", () => {
  const a = tensor([0.5, -1.5, 2.0], { requiresGrad: true });
  const b = tensor([1.5, 0.5, -0.25], { requiresGrad: true });
  const y = torch.atan2(a, b);
  assert.equal(y.gradFn?.name, "Atan2Backward0");
  y.sum().backward();
  // d atan2(a, b)/da = b / (a² + b²): at (0.5, 1.5) that is 1.5 / 2.5 = 0.6
  assert.ok(Math.abs((a.grad!.tolist() as number[])[0]! - 0.6) < 1e-6);
  // d/db = −a / (a² + b²) = −0.5 / 2.5 = −0.2
  assert.ok(Math.abs((b.grad!.tolist() as number[])[0]! + 0.2) < 1e-6);
});

test("multi-output functions carry PyTorch's field names", () => {
  const r = torch.max(x, 1);
  const [values, indices] = r;
  assert.deepEqual(values.tolist(), [2.0, 1.5]);
  assert.deepEqual(indices.tolist(), [2, 0]);
  assert.equal(r.values, values);
  assert.equal(r.indices, indices);
});

test("bad input is refused as the method refuses it", () => {
  assert.throws(() => root.exp!([1, 2]), ValueError);
  assert.throws(() => root.exp!([1, 2]), /exp: argument "input" must be a Tensor/);
  assert.throws(() => root.exp!(x, 1), /exp/);
  assert.throws(() => root.atan2!(x), /atan2/);
  assert.throws(() => root.neg!(mask), DTypeError);
});

test("floorDivide has no derivative, as in PyTorch", () => {
  const a = tensor([3.5, 4.0], { requiresGrad: true });
  const y = torch.floorDivide(a, 2);
  assert.equal(y.requiresGrad, true);
  assert.throws(() => y.sum().backward(), AutogradError);
  assert.throws(() => y.sum().backward(), /derivative for 'floorDivide' is not implemented/);
});

test("types follow the method's overloads", () => {
  const i = tensor([1, 2], { dtype: "int32" });
  const f: Tensor<"float32"> = torch.exp(i);
  const v: Tensor = torch.max(x, 0).values;
  const s: Tensor = torch.add(x, 2, { alpha: 3 });
  assert.equal(f.dtype, "float32");
  assert.equal(v.dtype, "float32");
  assert.equal(s.dtype, "float32");
  // @ts-expect-error exp takes no argument after its input
  assert.throws(() => torch.exp(x, 1));
  // @ts-expect-error atan2 needs `other`
  assert.throws(() => torch.atan2(x));
});
