// The PyTorch 1.13 form of an optimizer state dict, for `save()`: state keyed by integer index (a
// Python dict with int keys), scalars PyTorch keeps as 0-d float32 tensors (`step`, `eta`, ...)
// as such, tuple options (`betas`) as tuples, and implementation switches (`foreach`) filled in.
// Depends on tensor ops and optimizer.ts only (io/torch calls it; nothing here knows about files).

import { tensor } from "../ops/creation.ts";
import { Tensor } from "../tensor/tensor.ts";
import { type OptimizerStateDictInput, TORCH_FORM, type TorchForm } from "./optimizer.ts";

/** What `toTorchStateDict` returns: the dict as PyTorch's `optimizer.state_dict()` holds it. */
export interface TorchOptimizerStateDict {
  state: Map<number, Record<string, unknown>>;
  param_groups: Record<string, unknown>[];
}

const scalarTensor = (v: unknown): unknown =>
  typeof v === "number" ? tensor(v, { dtype: "float32" }) : v;

/** The TorchForm `stateDict()` attached to `sd`, or undefined for any other object. */
export function torchFormOf(sd: unknown): TorchForm | undefined {
  if (typeof sd !== "object" || sd === null) return undefined;
  return (sd as { [TORCH_FORM]?: TorchForm })[TORCH_FORM];
}

/**
 * Whether `v` is an optimizer state dict: `stateDict()`'s (tagged), or an untagged copy of one,
 * recognised by its layout: exactly `{ state, param_groups }` with every group's `params` a list of
 * integer indices. Such a dict must be written with int state keys, or PyTorch's
 * `load_state_dict` would silently drop the state.
 */
export function isOptimizerStateDict(v: unknown): v is OptimizerStateDictInput {
  if (torchFormOf(v) !== undefined) return true;
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Map) return false;
  const keys = Object.keys(v);
  if (keys.length !== 2 || !keys.includes("state") || !keys.includes("param_groups")) return false;
  const { state, param_groups: groups } = v as Record<string, unknown>;
  if (typeof state !== "object" || state === null || !Array.isArray(groups)) return false;
  return groups.every(
    (g) =>
      typeof g === "object" &&
      g !== null &&
      Array.isArray((g as { params?: unknown }).params) &&
      (g as { params: unknown[] }).params.every((i) => Number.isSafeInteger(i)),
  );
}

/**
 * Converts Kiln's `optimizer.stateDict()` to the exact structure PyTorch 1.13's
 * `optimizer.state_dict()` has, so that `torch.load` + `opt.load_state_dict` accept the file.
 */
export function toTorchStateDict(
  sd: OptimizerStateDictInput,
  form: TorchForm = torchFormOf(sd) ?? { tensorScalars: [], groupExtras: {} },
): TorchOptimizerStateDict {
  const state = new Map<number, Record<string, unknown>>();
  const entries = sd.state instanceof Map ? [...sd.state] : Object.entries(sd.state);
  for (const [k, entry] of entries) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(entry)) {
      if (!form.tensorScalars.includes(key)) out[key] = v;
      else if (Array.isArray(v)) out[key] = v.map(scalarTensor);
      else out[key] = v instanceof Tensor ? v : scalarTensor(v);
    }
    state.set(Number(k), out);
  }
  const groups = sd.param_groups.map((g) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(g)) {
      if (k === "params") continue;
      out[k] = Array.isArray(v) ? Object.freeze([...v]) : v;
    }
    for (const [k, v] of Object.entries(form.groupExtras)) if (!(k in out)) out[k] = v;
    out.params = g.params;
    return out;
  });
  return { state, param_groups: groups };
}
