// RandomApply, RandomChoice, Lambda and ConvertImageDtype, as torchvision.transforms' classes of
// those names. Depends on core (args, rng), transform.ts and functional `convertImageDtype` only.

import {
  arrayOf,
  custom,
  func,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  showValue,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { defaultGenerator, type Generator } from "../../core/rng.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { convertImageDtype, type ImageDType } from "./functional-convert.ts";
import { generatorArg } from "./random-crop.ts";
import { applyTransform, type Transform, type TransformModule } from "./transform.ts";

const transformList = custom(
  "an array of transforms (functions or objects with forward)",
  (v): v is readonly Transform<unknown, unknown>[] =>
    Array.isArray(v) &&
    v.every(
      (t) =>
        typeof t === "function" ||
        (typeof t === "object" &&
          t !== null &&
          typeof (t as { forward?: unknown }).forward === "function"),
    ),
);

function reprList(name: string, ts: readonly Transform<unknown, unknown>[], tail: string): string {
  const lines = ts.map(
    (t) => `    ${typeof t === "function" ? t.name || "<function>" : String(t)}`,
  );
  return `${name}(${tail}\n${lines.join("\n")}\n)`;
}

const APPLY = signature(
  "RandomApply",
  { transforms: transformList, p: opt(num, 0.5) },
  { generator: generatorArg },
);

/**
 * Applies all of `transforms` in order with probability `p` (default 0.5), else none, as
 * torchvision.transforms.RandomApply(transforms, p=0.5), plus Kiln's `generator`.
 *
 * @example new RandomApply([new ColorJitter(0.4, 0.4, 0.4, 0.1)], 0.8)
 */
export class RandomApply<I = unknown> implements TransformModule<I> {
  /** The transforms applied in order, all or none. */
  readonly transforms: readonly Transform<unknown, unknown>[];
  /** Probability of applying the transforms. */
  readonly p: number;
  /** The generator that draws whether to apply. */
  readonly generator: Generator;
  /** Creates the transform from `(transforms, p?)` plus `generator`. */
  constructor(
    transforms: readonly Transform<never, unknown>[],
    ...rest: WithOptions<[p: number], { p?: number; generator?: Generator }>
  ) {
    const a = parseArgs(APPLY, [transforms, ...rest]);
    this.transforms = a.transforms;
    this.p = a.p;
    this.generator = a.generator;
  }
  forward(x: I): I {
    // torchvision: `if self.p < torch.rand(1): return img`.
    if (this.p < this.generator.random()) return x;
    let y: unknown = x;
    for (const t of this.transforms) y = applyTransform(t, y);
    return y as I;
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    const g = this.generator === defaultGenerator ? {} : { generator: this.generator };
    return {
      module: import.meta.url,
      exportName: "RandomApply",
      args: [this.transforms, this.p, g],
    };
  }
  toString(): string {
    return reprList("RandomApply", this.transforms, `\n    p=${this.p}`);
  }
}

const CHOICE = signature(
  "RandomChoice",
  { transforms: transformList, p: opt(nullable(arrayOf(num)), null) },
  { generator: generatorArg },
);

/**
 * Applies one of `transforms`, picked at random with weights `p` (relative, default equal), as
 * torchvision.transforms.RandomChoice(transforms, p=None), plus Kiln's `generator` (torchvision
 * draws from Python's `random` module).
 */
export class RandomChoice<I = unknown> implements TransformModule<I> {
  /** The transforms one of which is applied per call. */
  readonly transforms: readonly Transform<unknown, unknown>[];
  /** Relative weights of the transforms, or null for equal ones. */
  readonly p: readonly number[] | null;
  /** The generator that picks a transform. */
  readonly generator: Generator;
  /** Creates the transform from `(transforms, p?)` plus `generator`. */
  constructor(
    transforms: readonly Transform<never, unknown>[],
    ...rest: WithOptions<
      [p: readonly number[] | null],
      { p?: readonly number[] | null; generator?: Generator }
    >
  ) {
    const a = parseArgs(CHOICE, [transforms, ...rest]);
    if (a.transforms.length === 0) throw new ValueError("RandomChoice: transforms is empty");
    if (a.p !== null && a.p.length !== a.transforms.length) {
      throw new ValueError(
        `RandomChoice: The number of weights (${a.p.length}) does not match the number of transforms (${a.transforms.length})`,
      );
    }
    if (a.p !== null && (a.p.some((w) => w < 0) || !(a.p.reduce((s, w) => s + w, 0) > 0))) {
      throw new ValueError(
        `RandomChoice: weights must be non-negative with a positive sum, got ${showValue(a.p)}`,
      );
    }
    this.transforms = a.transforms;
    this.p = a.p;
    this.generator = a.generator;
  }
  /** The index of the transform to apply, as Python's random.choices(range(n), weights=p). */
  pick(): number {
    const n = this.transforms.length;
    if (this.p === null) return Math.floor(this.generator.random() * n);
    const cum: number[] = [];
    let s = 0;
    for (const w of this.p) cum.push((s += w));
    const r = this.generator.random() * s;
    // bisect_right over the cumulative weights.
    let k = 0;
    while (k < n - 1 && cum[k]! <= r) k++;
    return k;
  }
  forward(x: I): I {
    return applyTransform(this.transforms[this.pick()]!, x) as I;
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    const g = this.generator === defaultGenerator ? {} : { generator: this.generator };
    return {
      module: import.meta.url,
      exportName: "RandomChoice",
      args: [this.transforms, this.p, g],
    };
  }
  toString(): string {
    return `${reprList("RandomChoice", this.transforms, "")}(p=${this.p === null ? "None" : `[${this.p.join(", ")}]`})`;
  }
}

/**
 * Wraps a function as a transform, as torchvision.transforms.Lambda(lambd). A Lambda cannot travel
 * to DataLoader workers (functions do not cross threads); use a class with `workerSpec()` there.
 *
 * @example new Lambda((x: Tensor) => x.mul(2))
 */
export class Lambda<I = unknown, O = unknown> implements TransformModule<I, O> {
  /** The wrapped function. */
  readonly lambd: (x: I) => O;
  /** Creates the transform from `(lambd)`. */
  constructor(lambd: (x: I) => O) {
    if (typeof lambd !== "function") {
      throw new ValueError(`Lambda: Argument lambd should be callable, got ${showValue(lambd)}`);
    }
    parseArgs(signature("Lambda", { lambd: func }), arguments);
    this.lambd = lambd;
  }
  forward(x: I): O {
    return this.lambd(x);
  }
  toString(): string {
    return "Lambda()";
  }
}

const CONVERT = signature("ConvertImageDtype", {
  dtype: oneOf(
    "float32",
    "float64",
    "float16",
    "bfloat16",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
  ),
});

/**
 * Converts a tensor image to `dtype`, rescaling values, as
 * torchvision.transforms.ConvertImageDtype(dtype); see `functional.convertImageDtype`.
 */
export class ConvertImageDtype implements TransformModule<Tensor> {
  /** The target dtype. */
  readonly dtype: ImageDType;
  /** Creates the transform from `(dtype)`. */
  constructor(...args: [dtype: ImageDType]) {
    this.dtype = parseArgs(CONVERT, args).dtype;
  }
  forward(x: Tensor): Tensor {
    return convertImageDtype(x, this.dtype);
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "ConvertImageDtype", args: [this.dtype] };
  }
  toString(): string {
    return `ConvertImageDtype()`;
  }
}
