// Containers: Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict. Children and
// parameters are registered under their index ("0", "1", ...) or key, so state-dict names match
// PyTorch's (`layers.0.weight`, `params.0`).

import { checkArity, showValue } from "../../core/args.ts";
import { IndexError, KilnError, ValueError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { type AnyModule, childEntries, Module } from "../module.ts";
import { Parameter } from "../parameter.ts";

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
    for (const [, m] of entries(this)) y = m.call(y);
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

// ---- ParameterList and ParameterDict ------------------------------------------------------

/** PyTorch's dtype names in reprs: torch.float32 (ParameterList) and torch.FloatTensor (Dict). */
const TENSOR_TYPE: Record<string, string> = {
  float32: "FloatTensor",
  float64: "DoubleTensor",
  int32: "IntTensor",
  bool: "BoolTensor",
  float16: "HalfTensor",
  bfloat16: "BFloat16Tensor",
};

/** The parameters registered on `m` itself, in registration order, a repeated one each time. */
function ownParameters(m: AnyModule): [string, Parameter][] {
  return Object.entries(m.stateDict({ keepVars: true })) as [string, Parameter][];
}

/** `v` as a Parameter: a Parameter as is, a plain tensor wrapped (as PyTorch's __setitem__). */
function asParameter(op: string, where: string, v: unknown): Parameter {
  if (v instanceof Parameter) return v;
  if (v instanceof Tensor) return new Parameter(v);
  throw new ValueError(`${op}: ${where} must be a Tensor or an nn.Parameter, got ${showValue(v)}`);
}

function sizeText(p: Tensor): string {
  return p.shape.join("x");
}

/**
 * A list of parameters registered as "0", "1", ..., as torch.nn.ParameterList: `plist.get(0)` is
 * `plist[0]` and the state-dict keys are `0`, `1`, ... A plain tensor put in is wrapped in an
 * nn.Parameter (requiresGrad true), as PyTorch does. It has no forward.
 * PyTorch parity: only tensors can be held (PyTorch 1.13 also stores other objects); `insert`
 * is a Kiln extension mirroring ModuleList.insert (PyTorch's ParameterList has none).
 *
 * @example const pl = new nn.ParameterList([new nn.Parameter(randn(3, 4))]); pl.append(randn(5));
 */
export class ParameterList extends Module {
  /** Creates the list from an iterable of tensors (default empty), registered as "0", "1", ... */
  constructor(values: Iterable<Tensor> | null = null) {
    super();
    checkArity("nn.ParameterList", arguments, 1);
    if (values !== null) this.extend(values);
  }

  /** The number of parameters, as `len(plist)`. */
  get length(): number {
    return ownParameters(this).length;
  }

  /** The parameter at index i (negative counts from the end), as `plist[i]`. */
  get(i: number): Parameter {
    const e = ownParameters(this);
    return e[wrapIndex("ParameterList.get", i, e.length)]![1];
  }

  /** Replaces the parameter at index i (a tensor is wrapped), as `plist[i] = p`. */
  set(i: number, p: Tensor): void {
    const e = ownParameters(this);
    const k = wrapIndex("ParameterList.set", i, e.length);
    this.registerParameter(String(k), asParameter("ParameterList.set", "the value", p));
  }

  /** A new ParameterList of parameters [start, end), sharing them, as `plist[start:end]`. */
  slice(start?: number, end?: number): ParameterList {
    return new ParameterList(
      ownParameters(this)
        .slice(start, end)
        .map(([, p]) => p),
    );
  }

  /** Adds `p` at the end (a tensor is wrapped) and returns this, as ParameterList.append. */
  append(p: Tensor): this {
    checkArity("ParameterList.append", arguments, 1);
    const n = this.length;
    this.registerParameter(String(n), asParameter("ParameterList.append", "the value", p));
    return this;
  }

  /** Appends each tensor of `values` and returns this, as ParameterList.extend. */
  extend(values: Iterable<Tensor>): this {
    checkArity("ParameterList.extend", arguments, 1);
    if (values instanceof Tensor || typeof values?.[Symbol.iterator] !== "function") {
      throw new ValueError(
        `ParameterList.extend: should be called with an iterable of tensors, got ${showValue(values)}`,
      );
    }
    for (const p of values) this.append(p);
    return this;
  }

  /**
   * Inserts `p` before `index` (negative counts from the end, clamped to the list), renumbering
   * the rest; a Kiln extension (see the class note).
   */
  insert(index: number, p: Tensor): void {
    const ps = ownParameters(this).map(([, q]) => q);
    const i = Math.max(0, Math.min(index < 0 ? index + ps.length : index, ps.length));
    ps.splice(i, 0, asParameter("ParameterList.insert", "the value", p));
    for (const [name] of ownParameters(this)) Reflect.deleteProperty(this, name);
    for (const [k, q] of ps.entries()) this.registerParameter(String(k), q);
  }

  /** Iterates the parameters in order, as `iter(plist)`. */
  [Symbol.iterator](): Iterator<Parameter> {
    return ownParameters(this)
      .map(([, p]) => p)
      [Symbol.iterator]();
  }

  /** Throws, as PyTorch's ParameterList.__call__. */
  override forward(..._args: unknown[]): never {
    throw new KilnError("ParameterList should not be called.");
  }

  override extraRepr(): string {
    return ownParameters(this)
      .map(([k, p]) => `  (${k}): Parameter containing: [torch.${p.dtype} of size ${sizeText(p)}]`)
      .join("\n");
  }
}

/** What ParameterDict's constructor and update take. */
export type ParameterSource =
  | Record<string, Tensor>
  | ReadonlyMap<string, Tensor>
  | ParameterDict
  | Iterable<readonly [string, Tensor]>;

/**
 * Parameters by string key, in insertion order, as torch.nn.ParameterDict; the state-dict keys
 * are the dict's keys. A plain tensor put in is wrapped in an nn.Parameter. It has no forward.
 * PyTorch parity: a plain object (Python's dict) is added in sorted key order, as PyTorch 1.13's
 * update does for a dict; a Map, a ParameterDict or an iterable of pairs keeps its order (an
 * OrderedDict's). `get(key)` without a default throws, as `pdict[key]`.
 *
 * @example const pd = new nn.ParameterDict({ scale: ones(3) }); pd.get("scale"); // Parameter
 */
export class ParameterDict extends Module {
  /** Creates the dict from a record, Map, ParameterDict or iterable of `[key, tensor]` pairs. */
  constructor(parameters: ParameterSource | null = null) {
    super();
    checkArity("nn.ParameterDict", arguments, 1);
    if (parameters !== null) this.update(parameters);
  }

  /** The number of parameters, as `len(pdict)`. */
  get length(): number {
    return ownParameters(this).length;
  }

  /**
   * The parameter under `key`, as `pdict[key]` (throws ValueError when absent), or with a second
   * argument, as `pdict.get(key, default)` (returns the default when absent).
   */
  get(key: string): Parameter;
  get<D>(key: string, dflt: D): Parameter | D;
  get<D>(key: string, dflt?: D): Parameter | D {
    checkArity("ParameterDict.get", arguments, 2);
    const e = ownParameters(this).find(([k]) => k === key);
    if (e !== undefined) return e[1];
    if (arguments.length === 2) return dflt as D;
    throw new ValueError(`ParameterDict: no parameter named "${key}"`);
  }

  /** Registers `p` under `key` (a tensor is wrapped), replacing any there, as `pdict[key] = p`. */
  set(key: string, p: Tensor): void {
    checkArity("ParameterDict.set", arguments, 2);
    if (typeof key !== "string")
      throw new ValueError(`ParameterDict.set: key must be a string, got ${showValue(key)}`);
    this.registerParameter(key, asParameter("ParameterDict.set", `the value for "${key}"`, p));
  }

  /** Whether a parameter is registered under `key`, as `key in pdict`. */
  has(key: string): boolean {
    return ownParameters(this).some(([k]) => k === key);
  }

  /** Removes and returns the parameter under `key`, as ParameterDict.pop. */
  pop(key: string): Parameter {
    const p = this.get(key);
    Reflect.deleteProperty(this, key);
    return p;
  }

  /** Removes `key`, as `del pdict[key]`. */
  delete(key: string): void {
    this.pop(key);
  }

  /** The parameter under `key`, first registering `dflt` there when absent, as setdefault. */
  setdefault(key: string, dflt: Tensor): Parameter {
    if (!this.has(key)) this.set(key, dflt);
    return this.get(key);
  }

  /** Removes every parameter, as ParameterDict.clear. */
  clear(): void {
    for (const [k] of ownParameters(this)) Reflect.deleteProperty(this, k);
  }

  /** A new ParameterDict holding the same parameters (not copies), as ParameterDict.copy. */
  copy(): ParameterDict {
    return new ParameterDict(ownParameters(this));
  }

  /** The keys in insertion order. */
  keys(): string[] {
    return ownParameters(this).map(([k]) => k);
  }

  /** The parameters in insertion order. */
  values(): Parameter[] {
    return ownParameters(this).map(([, p]) => p);
  }

  /** The `[key, parameter]` pairs in insertion order, as ParameterDict.items. */
  entries(): [string, Parameter][] {
    return ownParameters(this);
  }

  /**
   * Registers every `[key, tensor]` of `parameters`: a plain object in sorted key order, a Map,
   * ParameterDict or iterable of pairs in its own order, as ParameterDict.update.
   */
  update(parameters: ParameterSource): void {
    checkArity("ParameterDict.update", arguments, 1);
    let pairs: Iterable<readonly [string, Tensor]>;
    if (parameters instanceof ParameterDict) pairs = parameters.entries();
    else if (parameters instanceof Map) pairs = parameters.entries();
    else if (
      typeof parameters === "object" &&
      parameters !== null &&
      typeof (parameters as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function"
    ) {
      pairs = parameters as Iterable<readonly [string, Tensor]>;
    } else if (
      typeof parameters === "object" &&
      parameters !== null &&
      !(parameters instanceof Tensor)
    ) {
      pairs = Object.entries(parameters as Record<string, Tensor>).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
    } else {
      throw new ValueError(
        `ParameterDict.update: expected a record, Map or iterable of [key, tensor] pairs, got ${showValue(parameters)}`,
      );
    }
    let j = 0;
    for (const pair of pairs) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new ValueError(
          `ParameterDict.update: element #${j} should be a [key, tensor] pair, got ${showValue(pair)}`,
        );
      }
      this.set(pair[0] as string, pair[1] as Tensor);
      j++;
    }
  }

  /** Iterates the keys, as `iter(pdict)`. */
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }

  /** Throws, as PyTorch's ParameterDict.__call__. */
  override forward(..._args: unknown[]): never {
    throw new KilnError("ParameterDict should not be called.");
  }

  override extraRepr(): string {
    return ownParameters(this)
      .map(
        ([k, p]) =>
          `  (${k}): Parameter containing: [torch.${TENSOR_TYPE[p.dtype] ?? p.dtype} of size ${sizeText(p)}]`,
      )
      .join("\n");
  }
}
