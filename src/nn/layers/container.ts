// Containers: Sequential, ModuleList and ModuleDict. Children are registered under their index
// ("0", "1", ...) or key, so state-dict names match PyTorch's (`layers.0.weight`).

import { checkArity, showValue } from "../../core/args.ts";
import { IndexError, ValueError } from "../../core/errors.ts";
import { recycleBuffer } from "../../ops/dispatch.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { type AnyModule, childEntries, hasForwardHooks, Module } from "../module.ts";
import { ReLU } from "./activation.ts";
import { BatchNorm1d, BatchNorm2d } from "./batch-norm.ts";
import { Conv2d } from "./conv.ts";
import { Flatten, Linear } from "./linear.ts";
import { MaxPool2d } from "./pool.ts";

// Between two layers of a Sequential no code but the layers sees the tensor passed from one to
// the next, unless a hook does. Where no hook does, a ReLU there runs in place, and a tensor
// passed from a layer of PRODUCES to one of CONSUMES (directly, or through such a ReLU or a
// Flatten) goes back to the allocator once backward has freed the graph: in a training loop the next step then reuses a buffer still in cache,
// instead of a fresh one from a heap the garbage collector only refills now and then. Values,
// gradients and the autograd graph are the ones the modules' own forwards give; reading such a
// tensor after backward (through the graph's nodes) throws.

/** Layers whose forward returns a fresh tensor that their backward never reads. */
const PRODUCES: ReadonlySet<unknown> = new Set([
  Linear,
  Conv2d,
  BatchNorm1d,
  BatchNorm2d,
  MaxPool2d,
]);
/** Layers that keep their input only in their own autograd nodes, and never return a view of it. */
const CONSUMES = PRODUCES;

const FREED =
  "this tensor's memory was freed with its autograd graph after backward: nn.Sequential reuses " +
  "the buffers of intermediates that no code can see (register a forward hook on the layer to " +
  "keep its output)";

/**
 * Hands `t`'s buffer back when backward frees the node that produced it: nodes that read `t`
 * are nearer the loss, so backward has released them already.
 */
function freeWithGraph(t: Tensor): void {
  t.gradFn?.whenReleased(() => recycleBuffer(t.storage.free(FREED)));
}

// NOTE: containers iterate, count and run every entry, a module held twice twice (PyTorch's
// `self._modules.values()`); namedChildren() and children() list each module once.
const entries = childEntries;

function wrapIndex(op: string, i: number, n: number): number {
  if (!Number.isInteger(i) || i < -n || i >= n)
    throw new IndexError(`${op}: index ${i} is out of range`);
  return i < 0 ? i + n : i;
}

function checkModule(where: string, m: unknown): AnyModule {
  if (!(m instanceof Module)) {
    throw new ValueError(
      `nn.Sequential: argument ${where} must be a Module (or one record of named modules), got ${showValue(m)}`,
    );
  }
  return m;
}

/** Re-registers `mods` under "0".."n-1", dropping the old names. */
function renumber(m: AnyModule, mods: readonly AnyModule[]): void {
  for (const [name] of entries(m)) Reflect.deleteProperty(m, name);
  for (const [i, c] of mods.entries()) m.registerModule(String(i), c);
}

/**
 * Chains modules: `forward(x)` feeds x through each in order, as torch.nn.Sequential. Accepts
 * modules, or one record of named modules (PyTorch's OrderedDict form).
 *
 * @example const net = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
 */
export class Sequential extends Module {
  /**
   * Creates the chain from modules (registered as "0", "1", ...) or from one record of named
   * modules.
   */
  constructor(...modules: AnyModule[] | [Record<string, AnyModule>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && !(first instanceof Module) && first !== undefined) {
      for (const [k, m] of Object.entries(first)) this.registerModule(k, checkModule(k, m));
    } else
      for (const [i, m] of (modules as AnyModule[]).entries())
        this.registerModule(String(i), checkModule(String(i), m));
  }

  /** The number of modules, as `len(seq)`. */
  get length(): number {
    return entries(this).length;
  }

  /** The module at index i (negative counts from the end). */
  get(i: number): AnyModule {
    const e = entries(this);
    return e[wrapIndex("Sequential.get", i, e.length)]![1];
  }

  /** A new Sequential of modules [start, end), sharing them, as `seq[start:end]`. */
  slice(start?: number, end?: number): Sequential {
    return new Sequential(
      ...entries(this)
        .slice(start, end)
        .map(([, m]) => m),
    );
  }

  /** Adds `m` at the end and returns this, as Sequential.append. */
  append(m: AnyModule): this {
    this.registerModule(String(this.length), m);
    return this;
  }

  /** Iterates the modules in order, as `iter(seq)`. */
  [Symbol.iterator](): Iterator<AnyModule> {
    return entries(this)
      .map(([, m]) => m)
      [Symbol.iterator]();
  }

  override forward(x: Tensor): Tensor {
    let y: unknown = x;
    // The tensor whose buffer y is, when y came, unseen by hooks, from a layer of PRODUCES (then
    // perhaps through a ReLU run in place or a Flatten, whose view shares the buffer); else null.
    let owner: Tensor | null = null;
    for (const [, m] of entries(this)) {
      const hooked = hasForwardHooks(m);
      const kind: unknown = m.constructor;
      if (owner !== null && !hooked && kind === ReLU && y === owner) {
        owner.relu_();
        continue;
      }
      if (owner !== null && !hooked && kind === Flatten) {
        y = m.call(y);
        continue;
      }
      if (owner !== null && !hooked && CONSUMES.has(kind)) freeWithGraph(owner);
      const out = m.call(y);
      const fresh =
        !hooked &&
        PRODUCES.has(kind) &&
        out instanceof Tensor &&
        out !== y &&
        out !== x &&
        out.base === null;
      owner = fresh ? out : null;
      y = out;
    }
    return y as Tensor;
  }
}

/** A list of registered modules, as torch.nn.ModuleList (no forward of its own). */
export class ModuleList extends Module {
  /** Creates the list from an iterable of modules (default empty), registered as "0", "1", ... */
  constructor(modules: Iterable<AnyModule> = []) {
    super();
    checkArity("nn.ModuleList", arguments, 1);
    for (const m of modules) this.append(m);
  }

  /** The number of modules, as `len(modules)`. */
  get length(): number {
    return entries(this).length;
  }

  /** The module at index i (negative counts from the end), as `modules[i]`. */
  get(i: number): AnyModule {
    const e = entries(this);
    return e[wrapIndex("ModuleList.get", i, e.length)]![1];
  }

  /** Replaces the module at index i (negative counts from the end), as `modules[i] = m`. */
  set(i: number, m: AnyModule): void {
    const e = entries(this);
    this.registerModule(e[wrapIndex("ModuleList.set", i, e.length)]![0], m);
  }

  /** Adds `m` at the end and returns this, as ModuleList.append. */
  append(m: AnyModule): this {
    this.registerModule(String(this.length), m);
    return this;
  }

  /** Appends each module of `mods` and returns this, as ModuleList.extend. */
  extend(mods: Iterable<AnyModule>): this {
    for (const m of mods) this.append(m);
    return this;
  }

  /**
   * Inserts `m` before `index` (negative counts from the end, clamped to the list), renumbering the
   * rest, as ModuleList.insert.
   */
  insert(index: number, m: AnyModule): void {
    const mods = entries(this).map(([, c]) => c);
    const i = Math.max(0, Math.min(index < 0 ? index + mods.length : index, mods.length));
    mods.splice(i, 0, m);
    renumber(this, mods);
  }

  /** Iterates the modules in order, as `iter(modules)`. */
  [Symbol.iterator](): Iterator<AnyModule> {
    return entries(this)
      .map(([, m]) => m)
      [Symbol.iterator]();
  }
}

/** Modules by string key, in insertion order, as torch.nn.ModuleDict. */
export class ModuleDict extends Module {
  /** Creates the dict from a record or an iterable of `[key, module]` pairs (default empty). */
  constructor(modules: Record<string, AnyModule> | Iterable<[string, AnyModule]> = {}) {
    super();
    checkArity("nn.ModuleDict", arguments, 1);
    this.update(modules);
  }

  /** The number of modules, as `len(dict)`. */
  get length(): number {
    return entries(this).length;
  }

  /** The module under `key`, as `dict[key]`; throws ValueError when there is none. */
  get(key: string): AnyModule {
    const m = entries(this).find(([k]) => k === key);
    if (m === undefined) throw new ValueError(`ModuleDict: no module named "${key}"`);
    return m[1];
  }

  /** Registers `m` under `key`, replacing any module there, as `dict[key] = m`. */
  set(key: string, m: AnyModule): void {
    this.registerModule(key, m);
  }

  /** Whether a module is registered under `key`, as `key in dict`. */
  has(key: string): boolean {
    return entries(this).some(([k]) => k === key);
  }

  /** Removes and returns the module under `key`. */
  pop(key: string): AnyModule {
    const m = this.get(key);
    Reflect.deleteProperty(this, key);
    return m;
  }

  /** The keys in insertion order. */
  keys(): string[] {
    return entries(this).map(([k]) => k);
  }

  /** The modules in insertion order. */
  values(): AnyModule[] {
    return entries(this).map(([, m]) => m);
  }

  /** The `[key, module]` pairs in insertion order, as ModuleDict.items. */
  entries(): [string, AnyModule][] {
    return entries(this);
  }

  /** Registers every `[key, module]` of a record or iterable, as ModuleDict.update. */
  update(modules: Record<string, AnyModule> | Iterable<[string, AnyModule]>): void {
    const it =
      Symbol.iterator in modules
        ? (modules as Iterable<[string, AnyModule]>)
        : Object.entries(modules);
    for (const [k, m] of it) this.registerModule(k, m);
  }

  /** Iterates the keys, as `iter(dict)`. */
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
}
