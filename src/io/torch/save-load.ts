// torch.save / torch.load at Kiln's root, in PyTorch's argument order (object first), over
// io.saveTorch / io.loadTorch, which keep their own order and do the work. Depends on core and
// the modules beside it.

import {
  bool,
  custom,
  either,
  instanceOf,
  nullable,
  oneOf,
  opt,
  parseArgs,
  signature,
  str,
  unchecked,
} from "../../core/args.ts";
import { type DeviceLike, isDeviceLike, toDevice } from "../../core/device.ts";
import { loadTorch, type TorchValue } from "./load-torch.ts";
import { type Savable, type SaveTorchOptions, saveTorch } from "./save-torch.ts";

/** The keyword arguments of `load`. */
export interface LoadOptions {
  /** Where to put the tensors: "cpu" (Kiln's one device today), a Device, or null. */
  mapLocation?: DeviceLike | null;
  /**
   * Accepted for PyTorch's signature. Kiln always loads as `weights_only=True` does: it never
   * runs code from the file, so objects other than tensors and plain containers are a FormatError.
   */
  weightsOnly?: boolean;
}

// torch.save(obj, f): `obj` may be a record (a state dict), so the options are keyword-only.
const SAVE = signature(
  "save",
  { obj: unchecked, f: str },
  { intDtype: opt(oneOf("int64", "int32")), archiveName: opt(str) },
);
const LOAD = signature(
  "load",
  {
    f: either(str, instanceOf(Uint8Array, "a Uint8Array")),
    mapLocation: opt(nullable(custom('a device ("cpu" or a Device)', isDeviceLike))),
  },
  { weightsOnly: opt(bool) },
);

/**
 * Saves `obj` (a state dict, an optimizer's stateDict() — written exactly as PyTorch's — or nested
 * objects, arrays and Maps of tensors and scalars) to the
 * file `f` in PyTorch's `.pt` format, as torch.save(obj, f), atomically. int32 tensors are
 * written as torch.long unless `{ intDtype: "int32" }`. The same as `io.saveTorch(f, obj)`.
 *
 * @example save(model.stateDict(), "model.pt"); // torch.load("model.pt") in PyTorch
 */
export function save(obj: Savable, f: string, _options?: SaveTorchOptions): void {
  const o = parseArgs(SAVE, arguments);
  const opts: SaveTorchOptions = {};
  if (o.intDtype !== undefined) opts.intDtype = o.intDtype;
  if (o.archiveName !== undefined) opts.archiveName = o.archiveName;
  saveTorch(f, obj, opts);
}

/**
 * Reads a `.pt` file written by torch.save (or `save`), a path or its bytes, as
 * torch.load(f, map_location) with `weights_only=True`: no code from the file runs. Returns
 * plain JS values (state dicts as objects in key order, tensors as Tensors); see `io.loadTorch`.
 * `T` is the structure the caller expects (unchecked, as with JSON.parse).
 *
 * @example model.loadStateDict(load("model.pt"));
 */
export function load<T = TorchValue>(
  f: string | Uint8Array,
  mapLocation?: DeviceLike | null,
  options?: LoadOptions,
): T;
export function load<T = TorchValue>(f: string | Uint8Array, options?: LoadOptions): T;
export function load<T = TorchValue>(f: string | Uint8Array, ..._rest: unknown[]): T {
  const o = parseArgs(LOAD, arguments);
  if (o.mapLocation !== undefined && o.mapLocation !== null) toDevice("load", o.mapLocation);
  return loadTorch<T>(f);
}
