// Padding layers as in PyTorch 1.13: ZeroPad2d, ConstantPad1d/2d/3d, ReflectionPad1d/2d/3d,
// ReplicationPad1d/2d/3d (1.13 has no ZeroPad1d/3d and no CircularPad*). Each holds `padding`,
// a tuple of 2·n ints (last dim first), and calls functional/padding.ts; no other layer deps.

import { checkArity, ints, num, parseArgs, signature } from "../../core/args.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { type PadMode, padTensor } from "../functional/padding.ts";
import { Module } from "../module.ts";
import { pyFloat, pyTuple } from "../repr.ts";

const padSig = (op: string, n: number) => signature(op, { padding: ints(2 * n) });
const constSig = (op: string, n: number) => signature(op, { padding: ints(2 * n), value: num });

abstract class PadNd extends Module {
  /** The pads, `[left, right, top, bottom, front, back]` (last dim first), 2·n ints. */
  readonly padding: number[];
  readonly #mode: PadMode;
  readonly #value: number;

  constructor(op: string, n: number, mode: PadMode, args: unknown[]) {
    super();
    const a =
      mode === "constant" && args.length > 1
        ? parseArgs(constSig(op, n), args)
        : { ...parseArgs(padSig(op, n), args), value: 0 };
    const p = a.padding;
    this.padding = typeof p === "number" ? new Array<number>(2 * n).fill(p) : [...p];
    this.#mode = mode;
    this.#value = a.value;
  }

  /** The fill of constant padding (0 for the other modes). */
  get value(): number {
    return this.#value;
  }

  override forward(x: Tensor): Tensor {
    return padTensor(x, this.padding, this.#mode, this.#mode === "constant" ? this.#value : null);
  }

  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

abstract class ConstantPadNd extends PadNd {
  override extraRepr(): string {
    return `padding=${pyTuple(this.padding)}, value=${pyFloat(this.value)}`;
  }
}

/**
 * Pads the last dim with `value`, as torch.nn.ConstantPad1d(padding, value): `[*, W] →
 * [*, W + left + right]`; padding is an int or `[left, right]`, negative crops.
 */
export class ConstantPad1d extends ConstantPadNd {
  /** Creates the layer from `(padding, value)`: an int for every side or one int per side. */
  constructor(padding: number | readonly [number, number], value: number) {
    super("nn.ConstantPad1d", 1, "constant", [padding, value]);
    checkArity("nn.ConstantPad1d", arguments, 2);
  }
}

/**
 * Pads the last 2 dims with `value`, as torch.nn.ConstantPad2d(padding, value); padding is an
 * int or `[left, right, top, bottom]`.
 */
export class ConstantPad2d extends ConstantPadNd {
  /** Creates the layer from `(padding, value)`: an int for every side or one int per side. */
  constructor(padding: number | readonly [number, number, number, number], value: number) {
    super("nn.ConstantPad2d", 2, "constant", [padding, value]);
    checkArity("nn.ConstantPad2d", arguments, 2);
  }
}

/**
 * Pads the last 3 dims with `value`, as torch.nn.ConstantPad3d(padding, value); padding is an
 * int or `[left, right, top, bottom, front, back]`.
 */
export class ConstantPad3d extends ConstantPadNd {
  /** Creates the layer from `(padding, value)`: an int for every side or one int per side. */
  constructor(padding: number | readonly number[], value: number) {
    super("nn.ConstantPad3d", 3, "constant", [padding, value]);
    checkArity("nn.ConstantPad3d", arguments, 2);
  }
}

/**
 * Pads the last 2 dims with zeros, as torch.nn.ZeroPad2d(padding): `[*, H, W] →
 * [*, H + top + bottom, W + left + right]`; padding is an int or `[left, right, top, bottom]`.
 */
export class ZeroPad2d extends PadNd {
  /** Creates the layer from `padding`: an int for every side or one int per side. */
  constructor(padding: number | readonly [number, number, number, number]) {
    super("nn.ZeroPad2d", 2, "constant", [padding]);
    checkArity("nn.ZeroPad2d", arguments, 1);
  }
}

/**
 * Reflects the last dim about its edges (edge not repeated), as torch.nn.ReflectionPad1d(padding):
 * `[N, C, W]` or `[C, W]`; each pad must be < W.
 */
export class ReflectionPad1d extends PadNd {
  /** Creates the layer from `padding`: an int for every side or one int per side. */
  constructor(padding: number | readonly [number, number]) {
    super("nn.ReflectionPad1d", 1, "reflect", [padding]);
    checkArity("nn.ReflectionPad1d", arguments, 1);
  }
}

/** Reflection padding of the last 2 dims, as torch.nn.ReflectionPad2d(padding): `[N, C, H, W]` or `[C, H, W]`. */
export class ReflectionPad2d extends PadNd {
  /** Creates the layer from `padding`: an int for every side or one int per side. */
  constructor(padding: number | readonly [number, number, number, number]) {
    super("nn.ReflectionPad2d", 2, "reflect", [padding]);
    checkArity("nn.ReflectionPad2d", arguments, 1);
  }
}

/** Reflection padding of the last 3 dims, as torch.nn.ReflectionPad3d(padding): `[N, C, D, H, W]` or `[C, D, H, W]`. */
export class ReflectionPad3d extends PadNd {
  /** Creates the layer from `padding`: an int for every side or one int per side. */
  constructor(padding: number | readonly number[]) {
    super("nn.ReflectionPad3d", 3, "reflect", [padding]);
    checkArity("nn.ReflectionPad3d", arguments, 1);
  }
}

/** Repeats the edge values of the last dim, as torch.nn.ReplicationPad1d(padding): `[N, C, W]` or `[C, W]`. */
export class ReplicationPad1d extends PadNd {
  /** Creates the layer from `padding`: an int for every side or one int per side. */
  constructor(padding: number | readonly [number, number]) {
    super("nn.ReplicationPad1d", 1, "replicate", [padding]);
    checkArity("nn.ReplicationPad1d", arguments, 1);
  }
}

/** Edge-replicating padding of the last 2 dims, as torch.nn.ReplicationPad2d(padding). */
export class ReplicationPad2d extends PadNd {
  /** Creates the layer from `padding`: an int for every side or one int per side. */
  constructor(padding: number | readonly [number, number, number, number]) {
    super("nn.ReplicationPad2d", 2, "replicate", [padding]);
    checkArity("nn.ReplicationPad2d", arguments, 1);
  }
}

/** Edge-replicating padding of the last 3 dims, as torch.nn.ReplicationPad3d(padding). */
export class ReplicationPad3d extends PadNd {
  /** Creates the layer from `padding`: an int for every side or one int per side. */
  constructor(padding: number | readonly number[]) {
    super("nn.ReplicationPad3d", 3, "replicate", [padding]);
    checkArity("nn.ReplicationPad3d", arguments, 1);
  }
}
