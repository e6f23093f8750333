// Recording ops on the tape and running backward over it: a topological sort of the nodes
// reachable from the output, then each vector-Jacobian product once, in reverse order.

import { showValue } from "../core/args.ts";
import { isFloating } from "../core/dtype.ts";
import { AutogradError, ShapeError, ValueError } from "../core/errors.ts";
import { formatShape, shapeEquals } from "../core/shape.ts";
import {
  type GradHook,
  isAnomalyCheckNanEnabled,
  isAnomalyEnabled,
  isGradEnabled,
  Node,
  type VJP,
  withGradMode,
} from "./graph.ts";
import type { Tensor } from "./tensor-class.ts";

/** Whether an op over `inputs` must be recorded. */
export function needsGrad(...inputs: readonly unknown[]): boolean {
  return needsGradOf(inputs);
}

/** `needsGrad` over an array (no rest-argument copy): the check every op runs. */
export function needsGradOf(inputs: readonly unknown[]): boolean {
  if (!isGradEnabled()) return false;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i];
    if (isTensorLike(x) && x.requiresGrad) return true;
  }
  return false;
}

function isTensorLike(x: unknown): x is Tensor {
  return typeof x === "object" && x !== null && "requiresGrad" in x && "gradFn" in x;
}

/**
 * Attaches a node to `out` when any tensor input requires grad and grad mode is on.
 * `vjp` returns one gradient per entry of `inputs` (entries that are not tensors get null).
 * `saved` lists the tensors the closure reads, so in-place changes to them are caught.
 * `onRelease` runs once when the graph is freed after backward (see Node.release).
 */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly unknown[],
  vjp: VJP,
  saved: readonly Tensor[] = [],
  onRelease: (() => void) | null = null,
): Tensor {
  if (!needsGradOf(inputs)) return out;
  const tensors = inputs.map((x) => (isTensorLike(x) && x.requiresGrad ? x : null));
  out.setGradFn(new Node(name, tensors, vjp, saved, onRelease));
  return out;
}

/**
 * Gives the node that produced `out` PyTorch's name for a composite op. Does nothing when `out`
 * was not produced by a fresh node (it is an input, or shares an input's node).
 */
export function named(out: Tensor, name: string, inputs: readonly Tensor[]): Tensor {
  const node = out.gradFn;
  if (node === null) return out;
  for (const x of inputs) if (x === out || x.gradFn === node) return out;
  node.rename(name);
  return out;
}

/** Runs reverse-mode differentiation from `root`, seeded with `grad`. */
export function runBackward(
  root: Tensor,
  grad: Tensor,
  retainGraph: boolean,
  createGraph = false,
  inputs: readonly Tensor[] | null = null,
): void {
  if (!root.requiresGrad) {
    throw new AutogradError(
      "backward: element 0 of tensors does not require grad and does not have a grad_fn",
    );
  }
  runGraph([root], [grad], retainGraph, createGraph, inputs, true);
}

/** Hooks on leaf tensors (`registerHook`); non-leaf hooks live on their node. */
const leafHooks = new WeakMap<Tensor, Map<number, GradHook>>();
let leafHookCount = 0;
let nextHookId = 0;

/** What `register*Hook` returns: `remove()` unregisters the hook. */
export interface RemovableHandle {
  remove(): void;
}

/**
 * Registers `hook(grad)` on `t`, run each time a gradient with respect to `t` is computed, before
 * it is accumulated or passed on; a tensor it returns replaces the gradient (as
 * torch.Tensor.register_hook).
 */
export function addTensorHook(t: Tensor, hook: GradHook): RemovableHandle {
  if (typeof hook !== "function") {
    throw new ValueError(`registerHook: expected a function, got ${showValue(hook)}`);
  }
  if (!t.requiresGrad) {
    throw new AutogradError(
      "registerHook: cannot register a hook on a tensor that doesn't require gradient",
    );
  }
  const id = nextHookId++;
  const node = t.gradFn;
  let map: Map<number, GradHook>;
  if (node !== null) {
    map = node.hooks ?? new Map();
    node.hooks = map;
  } else {
    map = leafHooks.get(t) ?? new Map();
    leafHooks.set(t, map);
  }
  map.set(id, hook);
  leafHookCount += node === null ? 1 : 0;
  return {
    remove: () => {
      if (map.delete(id) && node === null) leafHookCount--;
    },
  };
}

function runHooks(hooks: Map<number, GradHook>, g: Tensor, where: string): Tensor {
  for (const h of hooks.values()) {
    const r = h(g);
    if (r === undefined || r === null) continue;
    if (!isTensorLike(r)) {
      throw new AutogradError(
        `${where}: a hook must return a Tensor or nothing, got ${showValue(r)}`,
      );
    }
    if (!shapeEquals(r.shape, g.shape)) {
      throw new AutogradError(
        `${where}: hook returned a gradient of shape ${formatShape(r.shape)}, expected ${formatShape(g.shape)}`,
      );
    }
    g = r;
  }
  return g;
}

/** True while the pass running now records the graph of its gradients (createGraph). */
let creating = false;

/**
 * The reverse pass behind `backward` and `autograd.grad`: seeds each root (a tensor) with its
 * gradient, runs every needed VJP once in reverse topological order, with grad mode on when
 * `createGraph` so the gradients record a graph of their own. With `accumulate`, gradients reach
 * `.grad` (only of `inputs` when given); without it (`autograd.grad`), nothing touches `.grad` and
 * the gradients of `inputs` are returned (null where none flowed).
 */
export function runGraph(
  roots: readonly Tensor[],
  seeds: readonly Tensor[],
  retainGraph: boolean,
  createGraph: boolean,
  inputs: readonly Tensor[] | null,
  accumulateGrads: boolean,
): (Tensor | null)[] {
  const prevCreating = creating;
  const prevClaimable = claimable;
  creating = createGraph;
  try {
    return withGradMode(createGraph, () =>
      reverse(roots, seeds, retainGraph, createGraph, inputs, accumulateGrads),
    );
  } finally {
    creating = prevCreating;
    claimable = prevClaimable;
  }
}

function reverse(
  roots: readonly Tensor[],
  seeds: readonly Tensor[],
  retainGraph: boolean,
  createGraph: boolean,
  inputs: readonly Tensor[] | null,
  accumulateGrads: boolean,
): (Tensor | null)[] {
  const captured: (Tensor | null)[] = inputs === null ? [] : inputs.map(() => null);
  // Where the gradient of an input is caught: its node (non-leaf) or the tensor itself (leaf).
  let inputNodes: Map<Node, number[]> | null = null;
  let inputLeaves: Map<Tensor, number[]> | null = null;
  if (inputs !== null) {
    inputNodes = new Map();
    inputLeaves = new Map();
    inputs.forEach((t, i) => {
      const node = t.gradFn;
      const m = (node !== null ? inputNodes : inputLeaves) as Map<Node | Tensor, number[]>;
      const key = node ?? t;
      const list = m.get(key);
      if (list === undefined) m.set(key, [i]);
      else list.push(i);
    });
  }
  // The gradient of an input: into its .grad (backward with inputs) or returned (grad); an
  // input listed twice is accumulated once, returned at each of its positions.
  const catchAt = (idx: number[] | undefined, g: Tensor): void => {
    if (idx === undefined) return;
    if (accumulateGrads) {
      accumulate(inputs![idx[0]!]!, g);
      return;
    }
    for (const i of idx) {
      const prev = captured[i] ?? null;
      captured[i] = prev === null ? g : prev.add(g);
    }
  };
  const leafGrad = (t: Tensor, g: Tensor): void => {
    if (leafHookCount > 0) {
      const hooks = leafHooks.get(t);
      if (hooks !== undefined) g = runHooks(hooks, g, "backward");
    }
    if (inputLeaves === null) accumulate(t, g);
    else catchAt(inputLeaves.get(t), g);
  };
  const grads = new Map<Node, Tensor>();
  const rootNodes: Node[] = [];
  roots.forEach((root, k) => {
    const seed = seeds[k]!;
    const node = root.gradFn;
    if (node === null) {
      leafGrad(root, seed);
      return;
    }
    const prev = grads.get(node);
    grads.set(node, prev === undefined ? seed : prev.add(seed));
    rootNodes.push(node);
  });
  if (rootNodes.length === 0) return captured;
  const order = topoSort(rootNodes);
  const needed = inputNodes === null ? null : neededNodes(order, inputNodes, inputLeaves!);
  const anomaly = isAnomalyEnabled() && isAnomalyCheckNanEnabled();
  for (const node of order) {
    let g = grads.get(node);
    grads.delete(node);
    if (g === undefined) continue;
    if (node.hooks !== null && node.hooks.size > 0) g = runHooks(node.hooks, g, node.name);
    if (node.retained !== null && accumulateGrads && inputs === null) accumulate(node.retained, g);
    if (inputNodes !== null) {
      catchAt(inputNodes.get(node), g);
      if (!needed!.below.has(node)) continue;
    }
    // Only this VJP may claim its incoming gradient, and only if it is still fresh: a VJP that
    // forwards it as it is (add's [g, g]) hands out a tensor that is no longer fresh. Never
    // while recording the graph of the gradients (the gradient is part of that graph then).
    claimable = !createGraph && fresh.delete(g) ? g : null;
    let inputGrads: readonly (Tensor | null)[];
    try {
      inputGrads = node.apply(g);
    } finally {
      claimable = null;
    }
    if (anomaly) checkAnomaly(node, inputGrads);
    if (createGraph && g.requiresGrad) inputGrads = guardGraph(node, g, inputGrads);
    const ins = node.inputs;
    for (let i = 0; i < ins.length; i++) {
      const input = ins[i];
      const ig = inputGrads[i];
      if (input === null || input === undefined || ig === null || ig === undefined) continue;
      if (inputGrads.indexOf(ig) !== i) fresh.delete(ig);
      if (!shapeEquals(ig.shape, input.shape)) {
        throw new ShapeError(
          `${node.name}: returned a gradient of shape ${formatShape(ig.shape)} for an input of ` +
            `shape ${formatShape(input.shape)}`,
        );
      }
      const fixed = ig.dtype === input.dtype ? ig : ig.to(input.dtype);
      const next = node.next[i] ?? null;
      if (next === null) {
        leafGrad(input, fixed);
      } else if (needed === null || needed.all.has(next)) {
        const prev = grads.get(next);
        grads.set(next, prev === undefined ? fixed : prev.add(fixed));
      }
    }
    if (!retainGraph) node.release();
  }
  return captured;
}

/**
 * With `inputs`: `all` holds the nodes on a path from a root to an input, `below` those of them
 * with an input further down (their VJP must run). `order` is reverse topological.
 */
function neededNodes(
  order: readonly Node[],
  inputNodes: Map<Node, number[]>,
  inputLeaves: Map<Tensor, number[]>,
): { all: Set<Node>; below: Set<Node> } {
  const all = new Set<Node>();
  const below = new Set<Node>();
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    let need = false;
    for (let i = 0; i < node.inputs.length && !need; i++) {
      const next = node.next[i];
      const input = node.inputs[i];
      if (next != null) need = all.has(next);
      else if (input != null) need = inputLeaves.has(input);
    }
    if (need) below.add(node);
    if (need || inputNodes.has(node)) all.add(node);
  }
  return { all, below };
}

/**
 * createGraph's safety net: every VJP is linear in its incoming gradient `g`, so when `g` carries
 * a graph, a result that does not is one a kernel computed out of autograd's sight. Rather than
 * a silently missing second derivative, differentiating it raises an error naming the node.
 */
function guardGraph(
  node: Node,
  g: Tensor,
  grads: readonly (Tensor | null)[],
): readonly (Tensor | null)[] {
  let out: (Tensor | null)[] | null = null;
  grads.forEach((ig, i) => {
    if (ig === null || ig === undefined || ig.requiresGrad || ig.numel() === 0) return;
    if (!isFloating(ig.dtype)) return;
    out ??= [...grads];
    out[i] = onceDifferentiable(node.name.replace(/Backward\d*$/, ""), [ig], [g])[0]!;
  });
  return out ?? grads;
}

/** Anomaly mode: a VJP whose result holds NaN is an error naming it and its forward op. */
function checkAnomaly(node: Node, grads: readonly (Tensor | null)[]): void {
  withGradMode(false, () => {
    grads.forEach((g, k) => {
      if (g === null || g === undefined || !isFloating(g.dtype)) return;
      if (!(g.isnan().any().item() as boolean)) return;
      const forward = node.name.replace(/Backward\d*$/, "");
      throw new AutogradError(
        `Function '${node.name}' returned nan values in its ${k}th output. ` +
          `(the forward op was '${forward}'` +
          (node.trace === null
            ? "; enable anomaly detection before the forward pass to see where it ran)"
            : `, run at:\n${node.trace.split("\n").slice(2).join("\n")})`),
      );
    });
  });
}

/** Gradients a VJP allocated itself and returns once: the first leaf they reach may keep them. */
const fresh = new WeakSet<Tensor>();

/**
 * Marks a gradient that a VJP just allocated (contiguous, referenced by nothing else) and returns
 * it. Accumulation then adopts it instead of cloning it; the mark is taken by the first adopter,
 * so two leaves never share one gradient tensor.
 */
export function freshGrad(g: Tensor | null): Tensor | null {
  if (g !== null) fresh.add(g);
  return g;
}

/** The incoming gradient of the VJP running now, when it was fresh (see claimFresh). */
let claimable: Tensor | null = null;

/**
 * Whether a VJP may overwrite or recycle its incoming gradient `g`: true when `g` was fresh and
 * no leaf or retained gradient took it. True once; the VJP must not also return `g` unchanged.
 */
export function claimFresh(g: Tensor): boolean {
  if (g !== claimable) return false;
  claimable = null;
  return true;
}

function accumulate(t: Tensor, g: Tensor): void {
  const prev = t.peekGrad();
  // NOTE: while recording (createGraph) a gradient that no VJP made fresh is cloned, as PyTorch's
  // AccumulateGrad under grad mode: .grad then carries the graph without aliasing the VJP's tensor.
  t.adoptGrad(prev !== null ? prev.add(g) : !creating && fresh.delete(g) ? g : g.clone());
}

// Reverse topological order (outputs first), by an iterative depth-first search.
function topoSort(roots: readonly Node[]): Node[] {
  const post: Node[] = [];
  const seen = new Set<Node>();
  const stack: [Node, number][] = [];
  for (let r = roots.length - 1; r >= 0; r--) {
    const root = roots[r]!;
    if (seen.has(root)) continue;
    seen.add(root);
    stack.push([root, 0]);
    drain(stack, seen, post);
  }
  return post.reverse();
}

function drain(stack: [Node, number][], seen: Set<Node>, post: Node[]): void {
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1] = i + 1;
      const child = node.next[i];
      if (child != null && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      post.push(node);
    }
  }
}

// ---- double backward: VJPs that call kernels autograd cannot see through ---------------------
// A VJP runs with grad mode on only when the gradients' graph is being recorded (createGraph);
// the helpers below are called there, behind an `isGradEnabled()` test, so the ordinary backward
// pass pays nothing for them.

/**
 * For a VJP whose result `out` a kernel computed from the incoming gradient `g` alone (linearly,
 * as a view's scatter): records `out`'s node, named `name`, whose VJP is `adjoint` (the forward
 * op itself, applied to the gradient of `out`). Returns `out`.
 */
export function linearGrad(
  out: Tensor,
  g: Tensor,
  name: string,
  adjoint: (gg: Tensor) => Tensor,
): Tensor {
  return record(out, name, [g], (gg) => [adjoint(gg)]);
}

/**
 * The gradients of a fused op with respect to `inputs`, differentiable: `forward` recomputes the
 * op from primitives (same numbers up to rounding) and a nested reverse pass, recording its own
 * graph, differentiates it with `g` as the output gradient. Null for inputs that need none.
 */
export function compositeVjp(
  inputs: readonly (Tensor | null)[],
  forward: () => Tensor,
  g: Tensor,
): (Tensor | null)[] {
  const ins = inputs.filter((t): t is Tensor => t?.requiresGrad === true);
  const out = withGradMode(true, forward);
  if (ins.length === 0 || !out.requiresGrad) return inputs.map(() => null);
  const res = runGraph([out], [g], true, true, ins, false);
  return inputs.map((t) => (t?.requiresGrad ? (res[ins.indexOf(t)] ?? null) : null));
}

/**
 * For a VJP whose results a kernel computed and that has no differentiable form: gives each
 * result a node that raises, naming `op`, if a later pass differentiates it (PyTorch's "the
 * derivative ... is not implemented"), instead of a silently missing second derivative.
 */
export function onceDifferentiable(
  op: string,
  grads: readonly (Tensor | null)[],
  deps: readonly (Tensor | null)[],
): (Tensor | null)[] {
  return grads.map((t) =>
    t === null
      ? null
      : record(t, `${op}Backward`, deps, () => {
          throw new AutogradError(
            `${op}: the derivative of ${op}'s backward is not implemented (double backward ` +
              "through this op is not supported)",
          );
        }),
  );
}
