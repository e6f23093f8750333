// The autograd graph: grad mode, and the Node every differentiable op records. A node holds its
// inputs, the tensors it saved (with their versions, to catch in-place changes), and a
// vector-Jacobian closure. Knows tensors only as a type.

import { checkArity, showValue } from "../core/args.ts";
import { AutogradError, ValueError } from "../core/errors.ts";
import type { Tensor } from "./tensor-class.ts";

let gradEnabled = true;

/** Whether ops currently record gradients. */
export function isGradEnabled(): boolean {
  if (arguments.length > 0) checkArity("isGradEnabled", arguments, 0);
  return gradEnabled;
}

/** @internal Runs `fn` with grad mode `mode`, restoring the previous mode afterwards. */
export function withGradMode<T>(mode: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = mode;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

function checkCallback(op: string, fn: unknown, n: number): void {
  if (typeof fn !== "function" || n !== 1) {
    throw new ValueError(
      `${op}: expected one argument, the function to run (Python's with-block body), got ${n === 1 ? showValue(fn) : `${n} arguments`}`,
    );
  }
}

/**
 * Sets grad mode, as torch.set_grad_enabled: `setGradEnabled(false)` switches recording off until
 * set again; `setGradEnabled(false, () => ...)` runs the function under that mode and restores the
 * previous one (Python's `with torch.set_grad_enabled(False):`), returning what it returns.
 */
export function setGradEnabled(mode: boolean): void;
export function setGradEnabled<T>(mode: boolean, fn: () => T): T;
export function setGradEnabled<T>(mode: boolean, fn?: () => T): T | undefined {
  if (typeof mode !== "boolean") {
    throw new ValueError(`setGradEnabled: expected mode to be a boolean, got ${showValue(mode)}`);
  }
  if (arguments.length > 2) checkArity("setGradEnabled", arguments, 2);
  if (arguments.length === 1 || fn === undefined) {
    gradEnabled = mode;
    return undefined;
  }
  checkCallback("setGradEnabled", fn, 1);
  return withGradMode(mode, fn);
}

let anomalyMode = false;
let anomalyCheckNan = true;

/** Whether anomaly detection is on, as torch.is_anomaly_enabled (see autograd.setDetectAnomaly). */
export function isAnomalyEnabled(): boolean {
  return anomalyMode;
}

/** Whether anomaly detection checks gradients for NaN, as torch.is_anomaly_check_nan_enabled. */
export function isAnomalyCheckNanEnabled(): boolean {
  return anomalyCheckNan;
}

/** @internal Switches anomaly detection; returns the previous settings. */
export function setAnomalyMode(mode: boolean, checkNan: boolean): [boolean, boolean] {
  const prev: [boolean, boolean] = [anomalyMode, anomalyCheckNan];
  anomalyMode = mode;
  anomalyCheckNan = checkNan;
  return prev;
}

/** A tensor hook: sees a gradient, may return a replacement (undefined keeps it). */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook may be a function with no return.
export type GradHook = (grad: Tensor) => Tensor | undefined | void;

/** Runs `fn` without recording gradients, as `with torch.no_grad():`. */
export function noGrad<T>(fn: () => T): T {
  checkCallback("noGrad", fn, arguments.length);
  return withGradMode(false, fn);
}

/** Runs `fn` with gradient recording on, as `with torch.enable_grad():`. */
export function enableGrad<T>(fn: () => T): T {
  checkCallback("enableGrad", fn, arguments.length);
  return withGradMode(true, fn);
}

/** Maps the gradient of a node's output to one gradient per input (null where none flows). */
export type VJP = (grad: Tensor) => readonly (Tensor | null)[];

/** One recorded op: `gradFn` of the tensors it produced. */
export class Node {
  #name: string;
  /** One entry per op input; null where the input was a scalar or needs no gradient. */
  readonly inputs: readonly (Tensor | null)[];
  /**
   * The node that produced each input when this op ran (PyTorch's next_functions); null for a
   * leaf. NOTE: taken at record time, because an in-place op later gives the input tensor a new
   * gradFn, and gradients of earlier uses must still flow through the history they saw.
   */
  readonly next: readonly (Node | null)[];
  #vjp: VJP | null;
  #saved: readonly [Tensor, number][];
  #onRelease: (() => void) | null;
  /** The non-leaf output whose `.grad` should be kept (set by `retainGrad`). */
  retained: Tensor | null = null;
  /** Hooks registered on the output tensor (`registerHook` on a non-leaf), in order. */
  hooks: Map<number, GradHook> | null = null;
  /** In anomaly mode: the stack where the forward op ran (PyTorch's forward traceback). */
  readonly trace: string | null;

  /**
   * Records op `name`: its inputs, its vector-Jacobian product, the tensors saved for it, and a
   * hook run when the node is released.
   */
  constructor(
    name: string,
    inputs: readonly (Tensor | null)[],
    vjp: VJP,
    saved: readonly Tensor[],
    onRelease: (() => void) | null = null,
  ) {
    this.#name = name;
    this.inputs = inputs;
    this.next = inputs.map((t) => t?.gradFn ?? null);
    this.#vjp = vjp;
    this.#saved = saved.map((t) => [t, t.version] as [Tensor, number]);
    this.#onRelease = onRelease;
    this.trace = anomalyMode ? (new Error().stack ?? null) : null;
  }

  /** PyTorch's name for the backward of the op that recorded this node (`AddBackward0`). */
  get name(): string {
    return this.#name;
  }

  /**
   * Renames the node; composite ops use it to take PyTorch's name for their last node
   * (`stack` is a cat of unsqueezes, recorded as StackBackward0).
   */
  rename(name: string): void {
    this.#name = name;
  }

  /** Applies the vector-Jacobian product, checking saved tensors were not modified in place. */
  apply(grad: Tensor): readonly (Tensor | null)[] {
    if (this.#vjp === null) {
      throw new AutogradError(
        `${this.name}: Trying to backward through the graph a second time (or directly access ` +
          "saved tensors after they have already been freed). Saved intermediate values of the " +
          "graph are freed when you call .backward(). Specify retainGraph: true if you need to " +
          "backward through the graph a second time.",
      );
    }
    for (const [t, version] of this.#saved) {
      if (t.version !== version) {
        throw new AutogradError(
          `${this.name}: one of the variables needed for gradient computation has been modified ` +
            `by an inplace operation: [${t.dtype} [${t.shape.join(", ")}]] is at version ` +
            `${t.version}; expected version ${version} instead.`,
        );
      }
    }
    return this.#vjp(grad);
  }

  /** Adds `fn` to what runs when this node is released (see release). */
  whenReleased(fn: () => void): void {
    const before = this.#onRelease;
    this.#onRelease =
      before === null
        ? fn
        : () => {
            before();
            fn();
          };
  }

  /**
   * Drops the closure and saved tensors, as PyTorch frees a graph after backward, and hands
   * buffers only the closure could reach back to their op (`onRelease`).
   */
  release(): void {
    this.#vjp = null;
    this.#saved = [];
    const done = this.#onRelease;
    this.#onRelease = null;
    done?.();
  }

  /** The op's name in angle brackets, such as `<MulBackward0>`. */
  toString(): string {
    return `<${this.name}>`;
  }
}
