// Recording ops on the tape and running backward over it: a topological sort of the nodes
// reachable from the output, then each vector-Jacobian product once, in reverse order.

import { AutogradError, ShapeError } from "../core/errors.ts";
import { formatShape, shapeEquals } from "../core/shape.ts";
import { isGradEnabled, Node, noGrad, type VJP } from "./graph.ts";
import type { Tensor } from "./tensor.ts";

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
export function runBackward(root: Tensor, grad: Tensor, retainGraph: boolean): void {
  if (!root.requiresGrad) {
    throw new AutogradError(
      "backward: element 0 of tensors does not require grad and does not have a grad_fn",
    );
  }
  noGrad(() => {
    const rootNode = root.gradFn;
    if (rootNode === null) {
      accumulate(root, grad);
      return;
    }
    const order = topoSort(rootNode);
    const grads = new Map<Node, Tensor>([[rootNode, grad]]);
    for (const node of order) {
      const g = grads.get(node);
      grads.delete(node);
      if (g === undefined) continue;
      if (node.retained !== null) accumulate(node.retained, g);
      // Only this VJP may claim its incoming gradient, and only if it is still fresh: a VJP that
      // forwards it as it is (add's [g, g]) hands out a tensor that is no longer fresh.
      claimable = fresh.delete(g) ? g : null;
      let inputGrads: readonly (Tensor | null)[];
      try {
        inputGrads = node.apply(g);
      } finally {
        claimable = null;
      }
      node.inputs.forEach((input, i) => {
        const ig = inputGrads[i];
        if (input === null || ig === null || ig === undefined) return;
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
          accumulate(input, fixed);
        } else {
          const prev = grads.get(next);
          grads.set(next, prev === undefined ? fixed : prev.add(fixed));
        }
      });
      if (!retainGraph) node.release();
    }
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
  t.adoptGrad(prev !== null ? prev.add(g) : fresh.delete(g) ? g : g.clone());
}

// Reverse topological order (outputs first), by an iterative depth-first search.
function topoSort(root: Node): Node[] {
  const post: Node[] = [];
  const seen = new Set<Node>([root]);
  const stack: [Node, number][] = [[root, 0]];
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
  return post.reverse();
}
