// Shared pieces of the port tests: reads tools/golden/ports.py's fixtures (state dicts stored with
// shared tensors once, summaries of big tensors, bit-packed dropout masks), replays PyTorch's
// dropout masks through forward hooks, and compares with a tolerance scaled to each tensor.

import assert from "node:assert/strict";
import { fromTypedArray, type nn, type Tensor } from "../../src/index.ts";
import { assertClose, dec, type Enc, loadGolden } from "../nn/golden.ts";

/** A state dict as ports.py stores it: every key in PyTorch's order, a shared tensor once. */
export interface SharedState<T = Enc> {
  keys: string[];
  tensors: Record<string, T>;
  aliases: Record<string, string>;
}

/** A tensor over ports.py's BIG elements after training: elements [::stride] and float64 sums. */
export interface Summary {
  shape: number[];
  stride: number;
  sample: Enc;
  sum: number;
  abs_sum: number;
}

export interface DropoutRecord {
  p: number;
  shape: number[] | null;
  /** One bit-packed (little-endian bit order) kept-mask per training-mode call. */
  calls: string[];
}

/** What train_case in ports.py records for one model. */
export interface TrainCase {
  repr: string;
  initial: SharedState;
  parameters: string[];
  eval_initial: Enc;
  first: { output: Enc; loss: number; grads: Record<string, Enc | Summary> };
  losses: number[];
  lrs: number[];
  dropout: Record<string, DropoutRecord>;
  final: SharedState<Enc | Summary>;
  eval_final: Enc;
}

/** A fixture of test/golden/ports/ (loadGolden resolves names against test/golden/nn/). */
export function loadPort<T>(name: string): T {
  return loadGolden<T>(`../ports/${name}`);
}

/** The full state dict, aliases pointing at the same decoded tensor as PyTorch's do. */
export function decShared(s: SharedState): Record<string, Tensor> {
  const decoded = new Map<string, Tensor>();
  for (const [k, v] of Object.entries(s.tensors)) decoded.set(k, dec(v));
  return Object.fromEntries(s.keys.map((k) => [k, decoded.get(s.aliases[k] ?? k)!]));
}

/** √(mean of squares) of a tensor's elements. */
export function rms(t: Tensor): number {
  const v = t.dataSync();
  let s = 0;
  for (const x of v) s += Number(x) * Number(x);
  return Math.sqrt(s / Math.max(1, v.length));
}

/**
 * |a − b| ≤ tol·|b| + tol·max(rms(b), floor) elementwise: relative error `tol` measured against the
 * tensor's own scale, so that elements near zero (in a gradient, say) are judged by the size of
 * their neighbours; `floor` is the scale of a tensor that is zero up to rounding (the gradient of
 * a bias that BatchNorm's mean subtraction cancels).
 */
export function assertNear(
  actual: Tensor,
  expected: Enc | Summary,
  what: string,
  tol: number,
  floor = 0,
): void {
  if ("b64" in expected) {
    const e = dec(expected);
    if (e.dtype === "int32") {
      assert.deepEqual(actual.to("int32").toArray(), e.toArray(), what);
      return;
    }
    assertClose(actual, e, what, tol, tol * Math.max(rms(e), floor));
    return;
  }
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const flat = actual.detach().reshape(-1);
  const idx = Array.from(
    { length: Math.ceil(flat.shape[0]! / expected.stride) },
    (_, i) => i * expected.stride,
  );
  const sample = flat.index(idx);
  const e = dec(expected.sample);
  const atol = tol * Math.max(rms(e), floor);
  assertClose(sample, e, `${what} (every ${expected.stride}th element)`, tol, atol);
  const v = flat.dataSync();
  let sum = 0;
  let absSum = 0;
  for (const x of v) {
    sum += Number(x);
    absSum += Math.abs(Number(x));
  }
  assert.ok(
    Math.abs(absSum - expected.abs_sum) <= tol * expected.abs_sum,
    `${what}: Σ|x| is ${absSum}, expected ${expected.abs_sum}`,
  );
  assert.ok(
    Math.abs(sum - expected.sum) <= tol * expected.abs_sum,
    `${what}: Σx is ${sum}, expected ${expected.sum}`,
  );
}

/** Largest |a − b| / (|b| + max(rms(b), floor)) over a tensor: the `tol` assertNear would need. */
export function relErr(actual: Tensor, expected: Enc | Summary, floor = 0): number {
  const e = "b64" in expected ? dec(expected) : dec(expected.sample);
  const a =
    "b64" in expected
      ? actual
      : actual
          .detach()
          .reshape(-1)
          .index(Array.from({ length: e.shape[0]! }, (_, i) => i * expected.stride));
  const r = Math.max(rms(e), floor);
  const av = a.dataSync();
  const ev = e.dataSync();
  let m = 0;
  for (let i = 0; i < av.length; i++) {
    const d = Math.abs(Number(av[i]) - Number(ev[i])) / (Math.abs(Number(ev[i])) + r || 1);
    if (d > m) m = d;
  }
  return m;
}

/** The kept-mask of one recorded call, scaled as PyTorch's dropout scales it: 1/(1 − p) or 0. */
export function dropoutMask(record: DropoutRecord, call: number, p: number): Tensor {
  const shape = record.shape!;
  const bits = Buffer.from(record.calls[call]!, "base64");
  const n = shape.reduce((a, b) => a * b, 1);
  const scale = Math.fround(1 / Math.fround(1 - p));
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = (bits[i >> 3]! >> (i & 7)) & 1 ? scale : 0;
  return fromTypedArray(m, shape);
}

/**
 * Makes every recorded dropout module of `model` apply, in training mode, PyTorch's masks in call
 * order instead of Kiln's own draw (Kiln's random stream differs from PyTorch's by design). The
 * model's code is untouched: a forward hook replaces the module's output by input·mask, the mask
 * scaled by the Kiln module's own p (so a wrong p in the port still shows).
 */
export function replayDropout(model: nn.Module, records: Record<string, DropoutRecord>): void {
  const modules = new Map(model.namedModules());
  for (const [name, record] of Object.entries(records)) {
    const m = modules.get(name);
    assert.ok(m, `dropout module ${name}`);
    let call = 0;
    m.registerForwardHook((mod, args) => {
      if (!mod.training) return undefined;
      assert.ok(call < record.calls.length, `${name}: more calls than PyTorch made`);
      const { p } = mod as unknown as { p: number };
      return (args[0] as Tensor).mul(dropoutMask(record, call++, p));
    });
  }
}

/** assertNear that also keeps, per kind of check, the largest error seen (for t.diagnostic). */
export class Checker {
  readonly worst = new Map<string, number>();

  near(
    actual: Tensor,
    expected: Enc | Summary,
    what: string,
    kind: string,
    tol: number,
    floor = 0,
  ): void {
    if (!("b64" in expected) || expected.dtype !== "int32") {
      const e = relErr(actual, expected, floor);
      this.worst.set(kind, Math.max(this.worst.get(kind) ?? 0, e));
    }
    assertNear(actual, expected, what, tol, floor);
  }

  scalar(actual: number, expected: number, what: string, kind: string, tol: number): void {
    const e = Math.abs(actual - expected) / Math.abs(expected);
    this.worst.set(kind, Math.max(this.worst.get(kind) ?? 0, e));
    assert.ok(e <= tol, `${what}: ${actual}, expected ${expected} (relative error ${e})`);
  }

  report(): string {
    return [...this.worst].map(([k, v]) => `${k} ${v.toExponential(1)}`).join(", ");
  }
}
