// The Optimizer base class: parameter groups with defaults, per-parameter state, zeroGrad and
// PyTorch-layout state dicts. Subclasses add only `step()`, which gathers each group's tensors
// and hands them to a plain update function (sgd(), adam(), ...). Depends on tensor and core only.

import { ShapeError, ValueError } from "../core/errors.ts";
import { enableGrad } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor.ts";

/** A scalar or tensor in an optimizer's per-parameter state (PyTorch's names: `exp_avg`, `step`...). */
export type StateScalar = Tensor | number | null;

/** A value kept in an optimizer's per-parameter state; lists only for LBFGS's history. */
export type StateValue = StateScalar | StateScalar[];

/** The state of one parameter, keyed by PyTorch's names so that it maps 1:1 to a torch state dict. */
export type ParamState = Record<string, StateValue>;

/** A parameter group as the optimizer keeps it: the tensors plus every option, defaults filled in. */
export type ParamGroup<O extends BaseOptions = BaseOptions> = O & {
  params: Tensor[];
  [option: string]: unknown;
};

/** Options every optimizer has. */
export interface BaseOptions {
  lr: number;
}

/** A parameter group as given to a constructor or `addParamGroup`: missing options take the defaults. */
export type ParamGroupInput<O extends BaseOptions = BaseOptions> = Partial<O> & {
  params: Iterable<Tensor> | Tensor;
  [option: string]: unknown;
};

/** What an optimizer accepts: an iterable of leaf tensors or of parameter groups. */
export type Params<O extends BaseOptions = BaseOptions> =
  | Iterable<Tensor>
  | Iterable<ParamGroupInput<O>>;

/** `optimizer.stateDict()`: PyTorch's layout, with parameters replaced by their index. */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  /** Each group's options under PyTorch's snake_case names, with `params: number[]`. */
  param_groups: Record<string, unknown>[];
}

/**
 * What `loadStateDict` accepts: a `stateDict()`, or PyTorch's own as `load()` returns it, whose
 * `state` is a Map keyed by parameter index (a Python dict with int keys).
 */
export type OptimizerStateDictInput =
  | OptimizerStateDict
  | { state: Map<number, ParamState>; param_groups: Record<string, unknown>[] };

/** `weightDecay` → `weight_decay`, as in PyTorch's state dicts. */
export function toSnakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `weight_decay` → `weightDecay`. */
export function toCamelCase(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function copyValue<T>(v: T): T {
  return (Array.isArray(v) ? [...v] : v) as T;
}

function cloneState(v: StateValue): StateValue {
  if (v instanceof Tensor) return v.detach().clone();
  if (Array.isArray(v)) return v.map((x) => (x instanceof Tensor ? x.detach().clone() : x));
  return v;
}

/**
 * How an optimizer's state dict differs in PyTorch 1.13's own: the state entries PyTorch keeps as
 * 0-d float32 tensors (`step` for Adam, `eta` and `mu` for ASGD) where Kiln keeps numbers, and
 * group options PyTorch keeps that only select an implementation (`foreach`, `fused`, ...).
 */
export interface TorchForm {
  readonly tensorScalars: readonly string[];
  readonly groupExtras: Readonly<Record<string, unknown>>;
}

/**
 * The key under which `stateDict()` attaches (non-enumerably) its optimizer's TorchForm, so that
 * `save()` writes the dict exactly as PyTorch would.
 */
export const TORCH_FORM: unique symbol = Symbol.for("kiln.optim.torchForm");

const NO_EXTRAS: TorchForm = { tensorScalars: [], groupExtras: {} };
const IMPL = { foreach: null, differentiable: false };
/** PyTorch 1.13's forms of the optimizers that predate TorchForm (torch/optim/*.py). */
const BUILTIN_FORMS: Record<string, TorchForm> = {
  SGD: { tensorScalars: [], groupExtras: IMPL },
  Adam: {
    tensorScalars: ["step"],
    groupExtras: { ...IMPL, capturable: false, fused: false },
  },
  AdamW: { tensorScalars: ["step"], groupExtras: { foreach: null, capturable: false } },
  RMSprop: { tensorScalars: [], groupExtras: IMPL },
  Adagrad: { tensorScalars: ["step"], groupExtras: { foreach: null } },
  Adadelta: { tensorScalars: [], groupExtras: { foreach: null } },
};

/**
 * Base class of every optimizer, as torch.optim.Optimizer.
 *
 * @example
 * const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /** The optimizer's name, used in error messages ("SGD", "Adam", ...). */
  readonly name: string;
  /** The options a parameter group takes when it does not set its own. */
  readonly defaults: Readonly<O>;
  /** The parameter groups, each its `params` and its options (PyTorch's `param_groups`). */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (momentum buffers, moment estimates, step counts). */
  state = new Map<Tensor, ParamState>();

  /**
   * Sets up the groups from `params` (an iterable of tensors or of param groups), filling each
   * group's missing options from `defaults`.
   */
  constructor(name: string, params: Params<O>, defaults: O) {
    this.name = name;
    this.validate(defaults, "");
    this.defaults = Object.freeze({ ...defaults });
    if (params instanceof Tensor) {
      throw new ValueError(
        `${name}: params argument given to the optimizer should be an iterable of Tensors or ` +
          "param groups, but got a single Tensor; wrap it in an array: [param]",
      );
    }
    if (params === null || typeof (params as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new ValueError(
        `${name}: params argument given to the optimizer should be an iterable of Tensors or ` +
          `param groups, but got ${params === null ? "null" : typeof params}`,
      );
    }
    const list = [...params] as (Tensor | ParamGroupInput<O>)[];
    if (list.length === 0) throw new ValueError(`${name}: optimizer got an empty parameter list`);
    const groups =
      list[0] instanceof Tensor
        ? [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>]
        : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** How PyTorch 1.13's state dict of this optimizer differs from Kiln's (see TorchForm). */
  torchForm(): TorchForm {
    return BUILTIN_FORMS[this.name] ?? NO_EXTRAS;
  }

  /** Throws a ValueError naming the optimizer when an option is out of range. */
  protected abstract validate(options: Partial<O>, where: string): void;

  /** Performs one optimization step; `closure` re-evaluates the model and returns the loss. */
  abstract step(closure?: () => Tensor | number): Tensor | number | undefined;

  /** Runs the closure with gradients on, as PyTorch's `with torch.enable_grad(): closure()`. */
  protected evalClosure(closure?: () => Tensor | number): Tensor | number | undefined {
    return closure === undefined ? undefined : enableGrad(closure);
  }

  /**
   * Adds a group of parameters with its own options (missing ones take `defaults`), as
   * torch.optim.Optimizer.add_param_group. Useful to unfreeze layers while training.
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    const where = ` in param group ${this.paramGroups.length}`;
    if (group === null || typeof group !== "object" || !("params" in group)) {
      throw new ValueError(
        `${this.name}.addParamGroup: a param group must be an object { params, ... }`,
      );
    }
    const raw = group.params;
    const params = raw instanceof Tensor ? [raw] : [...raw];
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) {
        throw new ValueError(
          `${this.name}: optimizer can only optimize Tensors, but param ${i}${where} is ${typeof p}`,
        );
      }
      if (!p.isLeaf) {
        throw new ValueError(
          `${this.name}: can't optimize a non-leaf Tensor (param ${i}${where} was produced by ` +
            `${p.gradFn?.name}); pass leaf tensors, e.g. t.detach().requiresGrad_()`,
        );
      }
    });
    const filled = { ...this.defaults } as Record<string, unknown>;
    for (const [k, v] of Object.entries(group))
      if (k !== "params" && v !== undefined) filled[k] = v;
    filled.params = params;
    this.validate(filled as Partial<O>, where);
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    if (params.some((p) => seen.has(p))) {
      throw new ValueError(`${this.name}: some parameters appear in more than one parameter group`);
    }
    this.paramGroups.push(filled as ParamGroup<O>);
  }

  /**
   * Resets the gradients of all optimized tensors. With `setToNone` (the default here, as in
   * PyTorch 2.x; PyTorch 1.13 defaulted to false) `.grad` becomes null, otherwise it is zeroed.
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p.peekGrad();
        if (grad === null) continue;
        if (setToNone) {
          p.releaseGrad();
        } else {
          if (grad.gradFn !== null) grad.detach_();
          else grad.requiresGrad_(false);
          grad.zero_();
        }
      }
    }
  }

  /** The state of `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (s === undefined) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /**
   * The parameters of `group` that have a gradient, with their gradients and states, each step
   * counted (`state.step += 1`) and each state filled by `init` on first use: the lists every
   * step() of PyTorch's single-tensor optimizers gathers before its update.
   */
  protected gatherStep(
    group: ParamGroup<O>,
    init: (p: Tensor) => ParamState,
  ): { params: Tensor[]; grads: Tensor[]; states: ParamState[]; steps: number[] } {
    const out = {
      params: [] as Tensor[],
      grads: [] as Tensor[],
      states: [] as ParamState[],
      steps: [] as number[],
    };
    for (const p of group.params) {
      const grad = p.peekGrad();
      if (grad === null) continue;
      const s = this.stateOf(p);
      if (Object.keys(s).length === 0) Object.assign(s, { step: 0 }, init(p));
      s.step = (s.step as number) + 1;
      out.params.push(p);
      out.grads.push(grad);
      out.states.push(s);
      out.steps.push(s.step);
    }
    return out;
  }

  /**
   * A snapshot of the optimizer in PyTorch's layout: `{ state: { 0: { step, exp_avg, ... } },
   * param_groups: [{ lr, weight_decay, ..., params: [0, 1] }] }`. Tensors are cloned, so
   * later steps do not change a saved dict.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let start = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(group))
        if (k !== "params") packed[toSnakeCase(k)] = copyValue(v);
      group.params.forEach((p, i) => {
        if (!index.has(p)) index.set(p, start + i);
      });
      packed.params = group.params.map((p) => index.get(p)!);
      start += group.params.length;
      return packed;
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) copy[k] = cloneState(v);
      state[i] = copy;
    }
    const sd: OptimizerStateDict = { state, param_groups: paramGroups };
    Object.defineProperty(sd, TORCH_FORM, { value: this.torchForm(), enumerable: false });
    return sd;
  }

  /**
   * Converts one saved state entry for parameter `p` (from `stateDict()` or PyTorch): scalars
   * PyTorch keeps as tensors become numbers, tensors are copied and cast to the parameter's dtype.
   */
  protected loadStateValue(key: string, v: unknown, p: Tensor, index: string): StateValue {
    const where = `${this.name}.loadStateDict`;
    if (key === "step" || this.torchForm().tensorScalars.includes(key)) {
      return v instanceof Tensor ? Number(v.item()) : (v as number);
    }
    return castState(where, index, key, v, p);
  }

  /**
   * Restores a dict from `stateDict()` (or a PyTorch optimizer state dict with the same layout):
   * group options are replaced by the saved ones, state tensors are copied and cast to each
   * parameter's dtype, and the next `step()` continues exactly where the saved run stopped.
   */
  loadStateDict(stateDict: OptimizerStateDictInput): void {
    const where = `${this.name}.loadStateDict`;
    const saved = stateDict?.param_groups;
    if (!Array.isArray(saved) || typeof stateDict.state !== "object" || stateDict.state === null) {
      throw new ValueError(
        `${where}: expected { state, param_groups }, as returned by stateDict()`,
      );
    }
    if (saved.length !== this.paramGroups.length) {
      throw new ValueError(
        `${where}: loaded state dict has ${saved.length} parameter groups, but the optimizer has ` +
          `${this.paramGroups.length}`,
      );
    }
    const idMap = new Map<number, Tensor>();
    saved.forEach((sg, gi) => {
      const ids = sg.params;
      const group = this.paramGroups[gi]!;
      if (!Array.isArray(ids) || ids.length !== group.params.length) {
        throw new ValueError(
          `${where}: loaded state dict contains a parameter group that doesn't match the size of ` +
            `optimizer's group: group ${gi} has ${Array.isArray(ids) ? ids.length : "no"} ` +
            `parameters in the state dict, but ${group.params.length} in the optimizer`,
        );
      }
      ids.forEach((id, k) => {
        idMap.set(Number(id), group.params[k]!);
      });
    });
    const state = new Map<Tensor, ParamState>();
    const entries =
      stateDict.state instanceof Map
        ? [...stateDict.state.entries()]
        : Object.entries(stateDict.state);
    for (const [key, value] of entries) {
      const p = idMap.get(Number(key));
      if (p === undefined) {
        throw new ValueError(
          `${where}: the state dict has state for parameter ${key}, which no param group lists`,
        );
      }
      const entry: ParamState = {};
      for (const [k, v] of Object.entries(value))
        entry[k] = this.loadStateValue(k, v, p, String(key));
      state.set(p, entry);
    }
    const groups = saved.map((sg, gi) => {
      const g: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(sg)) if (k !== "params") g[toCamelCase(k)] = copyValue(v);
      g.params = this.paramGroups[gi]!.params;
      return g as ParamGroup<O>;
    });
    groups.forEach((g, gi) => {
      this.validate(g, ` in loaded param group ${gi}`);
    });
    this.paramGroups.splice(0, this.paramGroups.length, ...groups);
    this.state = state;
  }

  /** Prints the groups and their options as PyTorch's Optimizer.__repr__ does. */
  toString(): string {
    const lines = [`${this.name} (`];
    this.paramGroups.forEach((g, i) => {
      lines.push(`Parameter Group ${i}`);
      for (const k of Object.keys(g).sort())
        if (k !== "params") lines.push(`    ${k}: ${String(g[k])}`);
    });
    lines.push(")");
    return lines.join("\n");
  }
}

function castState(where: string, index: string, key: string, v: unknown, p: Tensor): StateValue {
  if (!(v instanceof Tensor)) return v as StateValue;
  if (v.shape.join() !== p.shape.join()) {
    throw new ShapeError(
      `${where}: state '${key}' of parameter ${index} has shape [${v.shape.join(", ")}], but the ` +
        `parameter has shape [${p.shape.join(", ")}]`,
    );
  }
  return v.detach().to(p.dtype).clone();
}

/** Checks `0 <= value` for an option, as PyTorch's constructors do. */
export function checkNonNegative(
  name: string,
  option: string,
  value: unknown,
  where: string,
): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !(value >= 0)) {
    throw new ValueError(
      `${name}: invalid ${option}${where}: ${String(value)}; expected ${option} >= 0`,
    );
  }
}

/** Checks the learning rate: a number >= 0. */
export function checkLr(name: string, lr: unknown, where: string): void {
  if (lr === undefined) {
    throw new ValueError(
      `${name}: lr is required${where} (as in PyTorch, it has no default); got undefined`,
    );
  }
  if (typeof lr !== "number" || !(lr >= 0)) {
    throw new ValueError(
      `${name}: invalid learning rate lr=${String(lr)}${where}; expected a number >= 0`,
    );
  }
}
