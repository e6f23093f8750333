// nn.Module: the base class of every layer and model. Fields holding Modules, Parameters and
// Buffers register themselves, in field order, as PyTorch's __setattr__ does; registration,
// traversal, train/eval, state dicts, hooks and repr live here. Depends on src/tensor and below.
//
// NOTE: TS class fields are defined on `this` after the base constructor returns, so the base
// constructor cannot see them. It returns a Proxy whose `defineProperty` trap sees every field
// definition ([[Define]] semantics, tsc ES2022 and esbuild alike) and every assignment (an
// ordinary [[Set]] through a Proxy ends in the same trap). Because methods then run with `this`
// bound to the Proxy, the base class cannot use `#private` fields; its state hides behind a symbol.

import {
  bool,
  checkArity,
  custom,
  func,
  instanceOf,
  nullable,
  opt,
  parseArgs,
  record,
  signature,
  str,
  type WithOptions,
} from "../core/args.ts";
import { type DeviceLike, isDeviceLike, isDeviceString, toDevice } from "../core/device.ts";
import { type DType, isFloating } from "../core/dtype.ts";
import { KilnError, ShapeError, ValueError } from "../core/errors.ts";
import { formatShape } from "../core/shape.ts";
import { noGrad } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor.ts";
import {
  type FullBackwardHook,
  type FullBackwardPreHook,
  withBackwardHooks,
} from "./backward-hooks.ts";
import { Buffer, Parameter } from "./parameter.ts";

const STATE: unique symbol = Symbol("kiln.nn.Module.state");

/** Called before `forward` by `call`; may return replacement arguments. */
export type ForwardPreHook = (module: AnyModule, args: unknown[]) => unknown[] | undefined;
/** Called after `forward` by `call`; may return a replacement output. */
export type ForwardHook = (module: AnyModule, args: unknown[], output: unknown) => unknown;

/** Returned by the `register*Hook` methods; `remove()` unregisters the hook. */
export interface RemovableHandle {
  remove(): void;
}

/** A state dict: names (PyTorch's dotted keys) to tensors, in PyTorch's order. */
export type StateDict = Record<string, Tensor>;

interface ModuleState {
  parameters: Map<string, Parameter | null>;
  buffers: Map<string, Tensor | null>;
  nonPersistent: Set<string>;
  modules: Map<string, AnyModule | null>;
  preHooks: Map<number, ForwardPreHook>;
  hooks: Map<number, ForwardHook>;
  backwardHooks: Map<number, FullBackwardHook<AnyModule>>;
  backwardPreHooks: Map<number, FullBackwardPreHook<AnyModule>>;
}

let nextHookId = 0;

// PyTorch 1.13's signatures of the Module methods that take arguments (API.md, rule 2).
const MEMBERS = (op: string) => signature(op, { prefix: opt(str, ""), recurse: opt(bool, true) });
const NAMED_PARAMETERS = MEMBERS("Module.namedParameters");
const NAMED_BUFFERS = MEMBERS("Module.namedBuffers");
const PARAMETERS = signature("Module.parameters", { recurse: opt(bool, true) });
const BUFFERS = signature("Module.buffers", { recurse: opt(bool, true) });
const NAMED_MODULES = signature(
  "Module.namedModules",
  {},
  { prefix: opt(str, ""), removeDuplicate: opt(bool, true) },
);
const TRAIN = signature("Module.train", { mode: opt(bool, true) });
const ZERO_GRAD = signature("Module.zeroGrad", { setToNone: opt(bool, true) });
const REQUIRES_GRAD = signature("Module.requiresGrad_", { requiresGrad: opt(bool, true) });
const APPLY = signature("Module.apply", { fn: func });
const STATE_DICT = signature(
  "Module.stateDict",
  {},
  { prefix: opt(str, ""), keepVars: opt(bool, false) },
);
const LOAD_STATE_DICT = signature("Module.loadStateDict", {
  stateDict: record<StateDict | ReadonlyMap<string, Tensor>>(
    "a state dict (a record or Map of names to tensors)",
    (v) => v instanceof Map || (typeof v === "object" && v !== null && !Array.isArray(v)),
  ),
  strict: opt(bool, true),
});
const REGISTER_BUFFER = signature("Module.registerBuffer", {
  name: str,
  tensor: nullable(instanceOf(Tensor, "a Tensor")),
  persistent: opt(bool, true),
});
const TO = signature("Module.to", { dtype: str, nonBlocking: opt(bool) });
const TO_TENSOR = signature("Module.to", {
  tensor: instanceOf(Tensor, "a Tensor"),
  nonBlocking: opt(bool),
});
const TO_DEVICE = signature("Module.to", {
  device: opt(nullable(custom('a device ("cpu" or a Device)', isDeviceLike))),
  dtype: opt(nullable(str)),
  nonBlocking: opt(bool),
});

/** The keyword arguments of `Module.to`. */
export interface ModuleToOptions {
  /** The device to move parameters and buffers to: "cpu" (Kiln's one device today). */
  device?: DeviceLike | null;
  /** The floating dtype to cast floating parameters and buffers to. */
  dtype?: DType | null;
  /** Accepted for PyTorch's signature; it changes nothing, as every copy is on the CPU. */
  nonBlocking?: boolean;
}

function state(m: object): ModuleState {
  return (m as unknown as { [STATE]: ModuleState })[STATE];
}

function forget(s: ModuleState, name: string): void {
  s.parameters.delete(name);
  s.buffers.delete(name);
  s.nonPersistent.delete(name);
  s.modules.delete(name);
}

/** The registration rules of PyTorch's Module.__setattr__, applied to one assignment. */
function registerAssignment(s: ModuleState, name: string, value: unknown): void {
  const v = value === undefined ? null : value;
  if (v instanceof Parameter) {
    if (!s.parameters.has(name)) forget(s, name);
    s.parameters.set(name, v);
  } else if (s.parameters.has(name)) {
    if (v !== null) {
      throw new ValueError(
        `Module: cannot assign '${describe(v)}' as parameter '${name}' (nn.Parameter or null expected)`,
      );
    }
    s.parameters.set(name, null);
  } else if (v instanceof Module) {
    if (!s.modules.has(name)) forget(s, name);
    s.modules.set(name, v);
  } else if (s.modules.has(name)) {
    if (v !== null) {
      throw new ValueError(
        `Module: cannot assign '${describe(v)}' as child module '${name}' (nn.Module or null expected)`,
      );
    }
    s.modules.set(name, null);
  } else if (s.buffers.has(name)) {
    if (v !== null && !(v instanceof Tensor)) {
      throw new ValueError(
        `Module: cannot assign '${describe(v)}' as buffer '${name}' (Tensor or null expected)`,
      );
    }
    s.buffers.set(name, v as Tensor | null);
  } else if (v instanceof Buffer) {
    s.buffers.set(name, v);
    if (!v.persistent) s.nonPersistent.add(name);
  }
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return `Tensor(${v.dtype})`;
  if (typeof v === "object" && v !== null) return v.constructor.name;
  return typeof v;
}

const HANDLER: ProxyHandler<object> = {
  defineProperty(target, key, desc) {
    if (typeof key === "string" && "value" in desc)
      registerAssignment(state(target), key, desc.value);
    return Reflect.defineProperty(target, key, desc);
  },
  deleteProperty(target, key) {
    if (typeof key === "string") forget(state(target), key);
    return Reflect.deleteProperty(target, key);
  },
};

function checkName(kind: string, name: string): void {
  if (typeof name !== "string" || name === "" || name.includes(".")) {
    throw new ValueError(
      `${kind}: name must be a non-empty string without "." (got "${String(name)}")`,
    );
  }
}

function addIndent(s: string, spaces: number): string {
  const lines = s.split("\n");
  if (lines.length === 1) return s;
  const pad = " ".repeat(spaces);
  return [lines[0]!, ...lines.slice(1).map((l) => pad + l)].join("\n");
}

/** Any module, whatever its forward returns. */
export type AnyModule = Module<unknown>;

/**
 * Base class for all neural network modules, as torch.nn.Module. `Out` is what `forward`
 * returns (a Tensor unless a subclass says otherwise: `extends nn.Module<[Tensor, Tensor]>`).
 * Subclass it, hold layers in fields and define `forward`; `call(...)` runs forward with hooks.
 *
 * @example
 * class NeuralNet extends nn.AnyModule {
 *   fc1 = new nn.Linear(784, 128);
 *   fc2 = new nn.Linear(128, 10);
 *   forward(x: Tensor): Tensor { return this.fc2.forward(this.fc1.forward(x).relu()); }
 * }
 */
export class Module<Out = Tensor> {
  /** Whether the module is in training mode (`train()`) or evaluation mode (`eval()`). */
  training = true;

  /**
   * Creates an empty module; it takes no arguments, as torch.nn.Module.__init__. Subclass fields
   * are registered as they are assigned.
   */
  constructor() {
    // NOTE: as PyTorch's Module.__init__, no arguments: a subclass without a constructor of its
    // own would otherwise drop the arguments it is given without a word.
    if (arguments.length > 0) checkArity("nn.Module", arguments, 0);
    const s: ModuleState = {
      parameters: new Map(),
      buffers: new Map(),
      nonPersistent: new Set(),
      modules: new Map(),
      preHooks: new Map(),
      hooks: new Map(),
      backwardHooks: new Map(),
      backwardPreHooks: new Map(),
    };
    Object.defineProperty(this, STATE, { value: s, enumerable: false });
    // biome-ignore lint/correctness/noConstructorReturn: see the NOTE at the top of this file.
    return new Proxy(this, HANDLER as ProxyHandler<this>);
  }

  /** The computation of the module; subclasses override it. */
  forward(..._args: unknown[]): Out {
    throw new KilnError(
      `Module [${this.constructor.name}] is missing the required "forward" function`,
    );
  }

  /** Runs forward pre-hooks, `forward`, then forward hooks, as calling a torch module does. */
  call(...args: Parameters<this["forward"]>): ReturnType<this["forward"]> {
    const s = state(this);
    let input: unknown[] = args;
    for (const hook of s.preHooks.values()) {
      const r = hook(this, input);
      if (r !== undefined) input = Array.isArray(r) ? r : [r];
    }
    const run = (args: unknown[]): unknown => {
      let output: unknown = this.forward(...args);
      for (const hook of s.hooks.values()) {
        const r = hook(this, args, output);
        if (r !== undefined) output = r;
      }
      return output;
    };
    if (s.backwardHooks.size === 0 && s.backwardPreHooks.size === 0) {
      return run(input) as ReturnType<this["forward"]>;
    }
    return withBackwardHooks(
      this as AnyModule,
      input,
      run,
      [...s.backwardHooks.values()],
      [...s.backwardPreHooks.values()],
    ) as ReturnType<this["forward"]>;
  }

  /**
   * Registers `hook(module, gradInput, gradOutput)`, called when the gradients with respect to
   * the module's inputs are computed (gradInput: one entry per positional argument, null for
   * non-tensors or inputs that need no gradient; gradOutput: one per output tensor); a returned
   * array replaces gradInput. As PyTorch's register_full_backward_hook.
   */
  registerFullBackwardHook(hook: FullBackwardHook<this>): RemovableHandle {
    if (arguments.length !== 1) checkArity("registerFullBackwardHook", arguments, 1);
    const id = nextHookId++;
    state(this).backwardHooks.set(id, hook as FullBackwardHook<AnyModule>);
    return { remove: () => void state(this).backwardHooks.delete(id) };
  }

  /**
   * Registers `hook(module, gradOutput)`, called when the gradients with respect to the module's
   * outputs are computed, before gradInput; a returned array replaces gradOutput. As PyTorch
   * 2's register_full_backward_pre_hook.
   */
  registerFullBackwardPreHook(hook: FullBackwardPreHook<this>): RemovableHandle {
    if (arguments.length !== 1) checkArity("registerFullBackwardPreHook", arguments, 1);
    const id = nextHookId++;
    state(this).backwardPreHooks.set(id, hook as FullBackwardPreHook<AnyModule>);
    return { remove: () => void state(this).backwardPreHooks.delete(id) };
  }

  /**
   * Registers `hook(module, args)` to run before `forward` in `call`; a non-undefined return
   * replaces the arguments. As PyTorch's register_forward_pre_hook.
   */
  registerForwardPreHook(hook: ForwardPreHook): RemovableHandle {
    const id = nextHookId++;
    state(this).preHooks.set(id, hook);
    return { remove: () => void state(this).preHooks.delete(id) };
  }

  /**
   * Registers `hook(module, args, output)` to run after `forward` in `call`; a non-undefined return
   * replaces the output. As PyTorch's register_forward_hook.
   */
  registerForwardHook(hook: ForwardHook): RemovableHandle {
    const id = nextHookId++;
    state(this).hooks.set(id, hook);
    return { remove: () => void state(this).hooks.delete(id) };
  }

  // ---- registration ---------------------------------------------------------------------

  /** Registers (or with null, declares) a parameter under a name computed at run time. */
  registerParameter(name: string, param: Parameter | null): void {
    checkName("registerParameter", name);
    if (param !== null && !(param instanceof Parameter)) {
      throw new ValueError(
        `registerParameter: cannot assign '${describe(param)}' object to parameter '${name}' (nn.Parameter or null required)`,
      );
    }
    const s = state(this);
    if (!s.parameters.has(name)) forget(s, name);
    s.parameters.set(name, param);
    expose(this, name, param);
  }

  /** Registers a buffer: state that is not a parameter (running statistics). */
  registerBuffer(
    name: string,
    tensor: Tensor | null,
    ...rest: WithOptions<[persistent: boolean], { persistent?: boolean }>
  ): void {
    const options = parseArgs(REGISTER_BUFFER, [name, tensor, ...rest]);
    checkName("registerBuffer", name);
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new ValueError(
        `registerBuffer: cannot assign '${describe(tensor)}' object to buffer '${name}' (Tensor or null required)`,
      );
    }
    const s = state(this);
    if (!s.buffers.has(name)) forget(s, name);
    s.buffers.set(name, tensor);
    if (options.persistent) s.nonPersistent.delete(name);
    else s.nonPersistent.add(name);
    expose(this, name, tensor);
  }

  /** Registers a child module under a name computed at run time (PyTorch's add_module). */
  registerModule(name: string, module: AnyModule | null): void {
    checkName("registerModule", name);
    if (module !== null && !(module instanceof Module)) {
      throw new ValueError(`registerModule: ${describe(module)} is not a Module subclass`);
    }
    const s = state(this);
    if (!s.modules.has(name)) forget(s, name);
    s.modules.set(name, module);
    expose(this, name, module);
  }

  /** Alias of `registerModule`, as torch's add_module. */
  addModule(name: string, module: AnyModule | null): void {
    this.registerModule(name, module);
  }

  // ---- traversal ------------------------------------------------------------------------

  /** Direct children with their names, each module once. */
  namedChildren(): [string, AnyModule][] {
    const seen = new Set<AnyModule>();
    const out: [string, AnyModule][] = [];
    for (const [name, m] of state(this).modules) {
      if (m !== null && !seen.has(m)) {
        seen.add(m);
        out.push([name, m]);
      }
    }
    return out;
  }

  /** The direct submodules, each once, in registration order. */
  children(): AnyModule[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, depth first, with dotted names ("" for this one). */
  namedModules(
    ...args: [options?: { prefix?: string; removeDuplicate?: boolean }]
  ): [string, AnyModule][] {
    const o = parseArgs(NAMED_MODULES, args);
    const out: [string, AnyModule][] = [];
    const memo = new Set<AnyModule>();
    const dedup = o.removeDuplicate;
    const visit = (m: AnyModule, prefix: string) => {
      if (dedup && memo.has(m)) return;
      memo.add(m);
      out.push([prefix, m]);
      for (const [name, child] of state(m).modules) {
        if (child !== null) visit(child, prefix === "" ? name : `${prefix}.${name}`);
      }
    };
    visit(this, o.prefix);
    return out;
  }

  /** This module and every descendant, depth first, each once. */
  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** `[name, parameter]` pairs in registration order (`fc1.weight`, `fc1.bias`, ...). */
  namedParameters(
    ...args: WithOptions<[prefix: string, recurse: boolean], { prefix?: string; recurse?: boolean }>
  ): [string, Parameter][] {
    const o = parseArgs(NAMED_PARAMETERS, args);
    return namedMembers(this, (s) => s.parameters, o.recurse, o.prefix);
  }

  /**
   * The parameters of this module and (with `recurse`, the default) its descendants, each once, in
   * registration order: what an optimizer takes.
   */
  parameters(...args: WithOptions<[recurse: boolean], { recurse?: boolean }>): Parameter[] {
    const o = parseArgs(PARAMETERS, args);
    return namedMembers(this, (s) => s.parameters, o.recurse, "").map(([, p]) => p);
  }

  /**
   * `[name, buffer]` pairs in registration order (`bn.running_mean`, ...), recursing by default.
   */
  namedBuffers(
    ...args: WithOptions<[prefix: string, recurse: boolean], { prefix?: string; recurse?: boolean }>
  ): [string, Tensor][] {
    const o = parseArgs(NAMED_BUFFERS, args);
    return namedMembers(this, (s) => s.buffers, o.recurse, o.prefix);
  }

  /**
   * The buffers of this module and (with `recurse`, the default) its descendants, in registration
   * order.
   */
  buffers(...args: WithOptions<[recurse: boolean], { recurse?: boolean }>): Tensor[] {
    const o = parseArgs(BUFFERS, args);
    return namedMembers(this, (s) => s.buffers, o.recurse, "").map(([, b]) => b);
  }

  /** The submodule at a dotted path ("" is this module). */
  getSubmodule(target: string): AnyModule {
    if (target === "") return this;
    let m: AnyModule = this;
    for (const part of target.split(".")) {
      const next = state(m).modules.get(part);
      if (next === undefined || next === null) {
        throw new ValueError(`getSubmodule: ${m.constructor.name} has no attribute \`${part}\``);
      }
      m = next;
    }
    return m;
  }

  // ---- modes and gradients --------------------------------------------------------------

  /** Sets training mode on this module and every descendant. */
  train(...args: WithOptions<[mode: boolean], { mode?: boolean }>): this {
    const { mode } = parseArgs(TRAIN, args);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. Dropout becomes identity, BatchNorm uses running stats. */
  eval(): this {
    checkArity("Module.eval", arguments, 0);
    return this.train(false);
  }

  /** Resets parameter gradients: to null by default (`setToNone: true`), as PyTorch 2. */
  zeroGrad(...args: WithOptions<[setToNone: boolean], { setToNone?: boolean }>): void {
    const toNone = parseArgs(ZERO_GRAD, args).setToNone;
    for (const p of this.parameters()) {
      if (p.peekGrad() === null) continue;
      if (toNone) p.releaseGrad();
      else p.grad = noGrad(() => p.grad!.detach().zero_());
    }
  }

  /** Calls `fn` on every child (recursively) and then on this module. */
  apply(fn: (m: AnyModule) => void): this {
    parseArgs(APPLY, arguments);
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Sets `requiresGrad` on every parameter. */
  requiresGrad_(...args: WithOptions<[requiresGrad: boolean], { requiresGrad?: boolean }>): this {
    const flag = parseArgs(REQUIRES_GRAD, args).requiresGrad;
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /**
   * Casts floating parameters, their gradients and floating buffers to `dtype` in place, as
   * PyTorch's `module.to(dtype)`: the Parameter objects stay the same (optimizers holding them
   * keep working) and now hold new memory. Only floating dtypes are accepted. PyTorch's other
   * forms work too: `to(device)`, `to(device, dtype)`, `to(tensor)` (its dtype and device),
   * `to({ device, dtype })`; the device is "cpu" (Kiln's one device today), others throw a
   * DeviceError listing the available ones.
   *
   * @example model.to("float64"); model.to("cpu"); model.to(device("cpu"), "float64");
   */
  to(dtype: DType, ...rest: WithOptions<[nonBlocking: boolean], ModuleToOptions>): this;
  to(
    device: DeviceLike | null,
    ...rest: WithOptions<[dtype: DType | null, nonBlocking: boolean], ModuleToOptions>
  ): this;
  to(tensor: Tensor, ...rest: WithOptions<[nonBlocking: boolean], ModuleToOptions>): this;
  to(options: ModuleToOptions): this;
  to(...args: unknown[]): this {
    const first = args[0];
    let dtype: string | null | undefined;
    if (first instanceof Tensor) dtype = parseArgs(TO_TENSOR, args).tensor.dtype;
    else if (typeof first === "string" && !isDeviceString(first)) {
      dtype = parseArgs(TO, args).dtype;
    } else {
      const p = parseArgs(TO_DEVICE, args);
      if (p.device !== undefined && p.device !== null) toDevice("Module.to", p.device);
      dtype = p.dtype;
    }
    if (dtype === undefined || dtype === null) return this;
    if (!isFloating(dtype as DType)) {
      throw new ValueError(
        `Module.to: only accepts floating point dtypes, but got desired dtype=${String(dtype)}`,
      );
    }
    const d = dtype as DType;
    noGrad(() => {
      for (const m of this.modules()) {
        const s = state(m);
        for (const t of [...s.parameters.values(), ...s.buffers.values()]) {
          if (t === null || !isFloating(t.dtype) || t.dtype === d) continue;
          t.replaceData_(t.detach().to(d));
          const g = t.peekGrad();
          if (g !== null) g.replaceData_(g.to(d));
        }
      }
    });
    return this;
  }

  /** This module, as PyTorch's `module.cpu()`: every Kiln tensor is on the CPU already. */
  cpu(): this {
    checkArity("Module.cpu", arguments, 0);
    return this;
  }

  /** Throws a DeviceError listing the available devices: Kiln has no CUDA backend. */
  cuda(..._args: unknown[]): never {
    return toDevice("Module.cuda", "cuda") as never;
  }

  /** Casts floating parameters and buffers to float64, as PyTorch's `module.double()`. */
  double(): this {
    checkArity("Module.double", arguments, 0);
    return this.to("float64");
  }

  /**
   * Casts floating parameters and buffers to float16, as PyTorch's `module.half()`. In Kiln
   * float16 is a storage dtype (save, load, cast back with `float()`); forward needs float32.
   */
  half(): this {
    checkArity("Module.half", arguments, 0);
    return this.to("float16");
  }

  /** Casts floating parameters and buffers to bfloat16, as `module.bfloat16()` (storage only). */
  bfloat16(): this {
    checkArity("Module.bfloat16", arguments, 0);
    return this.to("bfloat16");
  }

  /** Casts floating parameters and buffers to float32, as PyTorch's `module.float()`. */
  float(): this {
    checkArity("Module.float", arguments, 0);
    return this.to("float32");
  }

  // ---- state dict -----------------------------------------------------------------------

  /** Parameters and persistent buffers by PyTorch's dotted names, detached (no copy). */
  stateDict(...args: [options?: { prefix?: string; keepVars?: boolean }]): StateDict {
    const o = parseArgs(STATE_DICT, args);
    const out: StateDict = {};
    for (const [name, t] of stateEntries(this, o.prefix)) {
      out[name] = o.keepVars ? t : t.detach();
    }
    return out;
  }

  /**
   * Copies values from `sd` into this module's parameters and buffers, checking shapes.
   * Strict (the default) throws naming missing and unexpected keys, as PyTorch's
   * load_state_dict; otherwise they are returned.
   */
  loadStateDict(
    sd: StateDict | ReadonlyMap<string, Tensor>,
    ...rest: WithOptions<[strict: boolean], { strict?: boolean }>
  ): { missingKeys: string[]; unexpectedKeys: string[] } {
    const { strict } = parseArgs(LOAD_STATE_DICT, [sd, ...rest]);
    const given = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = stateEntries(this, "");
    const ownNames = new Set(own.map(([n]) => n));
    const missingKeys: string[] = [];
    const sizeErrors: string[] = [];
    const copies: [Tensor, Tensor][] = [];
    for (const [name, t] of own) {
      const src = given.get(name);
      if (src === undefined) {
        missingKeys.push(name);
        continue;
      }
      if (!(src instanceof Tensor)) {
        throw new ValueError(`loadStateDict: value for "${name}" is not a Tensor`);
      }
      if (src.shape.join() !== t.shape.join()) {
        sizeErrors.push(
          `size mismatch for ${name}: copying a param with shape ${formatShape(src.shape)} from checkpoint, the shape in current model is ${formatShape(t.shape)}.`,
        );
        continue;
      }
      copies.push([t, src]);
    }
    const unexpectedKeys = [...given.keys()].filter((k) => !ownNames.has(k));
    const title = `loadStateDict: Error(s) in loading state_dict for ${this.constructor.name}:`;
    if (sizeErrors.length > 0) throw new ShapeError(`${title}\n\t${sizeErrors.join("\n\t")}`);
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const lines: string[] = [];
      if (unexpectedKeys.length > 0)
        lines.push(
          `Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}.`,
        );
      if (missingKeys.length > 0)
        lines.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}.`);
      throw new ValueError(`${title}\n\t${lines.join("\n\t")}`);
    }
    noGrad(() => {
      for (const [t, src] of copies) t.copy_(src);
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing -------------------------------------------------------------------------

  /** The text inside this module's parentheses in `toString()` (PyTorch's extra_repr). */
  extraRepr(): string {
    return "";
  }

  /** The module tree, exactly as PyTorch's repr prints it. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra === "" ? [] : extra.split("\n");
    const childLines = [...state(this).modules]
      .filter((e): e is [string, AnyModule] => e[1] !== null)
      .map(([name, m]) => `(${name}): ${addIndent(m.toString(), 2)}`);
    const lines = [...extraLines, ...childLines];
    let main = `${this.constructor.name}(`;
    if (lines.length > 0) {
      if (extraLines.length === 1 && childLines.length === 0) main += extraLines[0];
      else main += `\n  ${lines.join("\n  ")}\n`;
    }
    return `${main})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

function expose(m: AnyModule, name: string, value: unknown): void {
  // Makes `m[name]` read the registered value, unless a method of that name exists.
  if (Object.getOwnPropertyDescriptor(m, name) === undefined && name in m) return;
  Reflect.defineProperty(m, name, { value, writable: true, enumerable: true, configurable: true });
}

function namedMembers<T extends Tensor>(
  root: AnyModule,
  pick: (s: ModuleState) => Iterable<[string, T | null]>,
  recurse: boolean,
  prefix: string,
): [string, T][] {
  const mods: [string, AnyModule][] = recurse ? root.namedModules({ prefix }) : [[prefix, root]];
  const seen = new Set<Tensor>();
  const out: [string, T][] = [];
  for (const [mp, m] of mods) {
    for (const [name, t] of pick(state(m))) {
      if (t === null || seen.has(t)) continue;
      seen.add(t);
      out.push([mp === "" ? name : `${mp}.${name}`, t]);
    }
  }
  return out;
}

function stateEntries(root: AnyModule, prefix: string): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const visit = (m: AnyModule, p: string) => {
    const s = state(m);
    for (const [n, t] of s.parameters) if (t !== null) out.push([p + n, t]);
    for (const [n, t] of s.buffers) if (t !== null && !s.nonPersistent.has(n)) out.push([p + n, t]);
    for (const [n, c] of s.modules) if (c !== null) visit(c, `${p}${n}.`);
  };
  visit(root, prefix);
  return out;
}

/**
 * Every registered child of `m` with its name, in registration order, a module held under
 * several names once per name: what PyTorch's containers iterate, count and run
 * (`self._modules.values()`), where `namedChildren()` lists each module once. Internal to nn.
 */
export function childEntries(m: AnyModule): [string, AnyModule][] {
  const out: [string, AnyModule][] = [];
  for (const [name, c] of state(m).modules) if (c !== null) out.push([name, c]);
  return out;
}

/** The registered buffer `name` of `m` (null when declared empty). Internal to nn. */
export function getBuffer(m: AnyModule, name: string): Tensor | null {
  return state(m).buffers.get(name) ?? null;
}
