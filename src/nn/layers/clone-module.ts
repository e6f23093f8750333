// A deep copy of a module, as Python's copy.deepcopy does for the Transformer's _get_clones: the
// same class, fresh parameters and buffers holding copies of the values, submodules copied
// recursively, sharing inside the copied tree kept. Uses only Module's public registration API
// (and childEntries); depends on src/tensor and nn/module, parameter. Forward hooks are not copied.

import { isPlainObject } from "../../core/args.ts";
import { noGrad } from "../../tensor/graph.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { type AnyModule, childEntries, Module } from "../module.ts";
import { Parameter } from "../parameter.ts";

type Memo = Map<object, unknown>;

function copyTensor(t: Tensor, memo: Memo): Tensor {
  const seen = memo.get(t);
  if (seen !== undefined) return seen as Tensor;
  const data = noGrad(() => t.detach().clone());
  let out: Tensor;
  if (t instanceof Parameter) {
    const p = new Parameter(data, t.requiresGrad);
    const g = t.peekGrad();
    if (g !== null) p.grad = noGrad(() => g.detach().clone());
    out = p;
  } else {
    out = t.requiresGrad ? data.requiresGrad_(true) : data;
  }
  memo.set(t, out);
  return out;
}

function copyValue(v: unknown, memo: Memo): unknown {
  if (v instanceof Module) return copyModule(v, memo);
  if (v instanceof Tensor) return copyTensor(v, memo);
  if (Array.isArray(v)) return v.map((x) => copyValue(x, memo));
  if (isPlainObject(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyValue(x, memo)]));
  }
  return v;
}

function copyModule(m: AnyModule, memo: Memo): AnyModule {
  const seen = memo.get(m);
  if (seen !== undefined) return seen as AnyModule;
  // The base constructor alone: an empty registered module of m's class, whose own
  // constructor (and its parameter init and random draws) does not run.
  const copy = Reflect.construct(Module, [], m.constructor) as AnyModule;
  memo.set(m, copy);
  const done = new Set<string>();
  const persistent = new Set(Object.keys(m.stateDict({ keepVars: true })));
  for (const [name, p] of m.namedParameters({ recurse: false })) {
    copy.registerParameter(name, copyTensor(p, memo) as Parameter);
    done.add(name);
  }
  for (const [name, b] of m.namedBuffers({ recurse: false })) {
    copy.registerBuffer(name, copyTensor(b, memo), { persistent: persistent.has(name) });
    done.add(name);
  }
  for (const [name, c] of childEntries(m)) {
    copy.registerModule(name, copyModule(c, memo));
    done.add(name);
  }
  for (const key of Object.keys(m)) {
    if (done.has(key)) continue;
    const desc = Object.getOwnPropertyDescriptor(m, key)!;
    if (!("value" in desc)) continue;
    Object.defineProperty(copy, key, { ...desc, value: copyValue(desc.value, memo) });
  }
  return copy;
}

/**
 * A deep copy of `module`: same class and settings, new parameters and buffers with equal values
 * (and gradients), submodules copied, as Python's `copy.deepcopy(module)`; the copy shares nothing
 * with the original. `training` is kept. Forward hooks are not copied. A subclass's `#private`
 * fields are not copied either (they exist only on constructed objects).
 */
export function cloneModule<M extends AnyModule>(module: M): M {
  return copyModule(module, new Map()) as M;
}
