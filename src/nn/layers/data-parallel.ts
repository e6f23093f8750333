// nn.DataParallel as PyTorch runs it on a machine without GPUs: a wrapper that holds the model as
// `module` (so state-dict keys gain PyTorch's "module." prefix) and calls it unchanged. Kiln has no
// accelerator, so, as PyTorch there, deviceIds and outputDevice select nothing. Depends on
// nn/module and core only.

import {
  arrayOf,
  either,
  instanceOf,
  int,
  nullable,
  opt,
  parseArgs,
  signature,
  str,
  type WithOptions,
} from "../../core/args.ts";
import { type AnyModule, Module } from "../module.ts";

const DATA_PARALLEL = signature("nn.DataParallel", {
  module: instanceOf(Module, "an nn.Module"),
  deviceIds: opt(nullable(arrayOf(either(int, str))), null),
  outputDevice: opt(nullable(either(int, str)), null),
  dim: opt(int, 0),
});

/** Options of nn.DataParallel after the module (PyTorch's device_ids, output_device, dim). */
export interface DataParallelOptions {
  deviceIds?: readonly (number | string)[] | null;
  outputDevice?: number | string | null;
  dim?: number;
}

/**
 * Wraps `module` as torch.nn.DataParallel(module, device_ids=None, output_device=None, dim=0)
 * does where no GPU is available: `call(x)` is `module.call(x)`, and the state dict holds
 * `module.<key>`, so checkpoints of DataParallel-wrapped PyTorch models load as they are.
 */
export class DataParallel<M extends AnyModule> extends Module<ReturnType<M["forward"]>> {
  /** The wrapped model. */
  module: M;
  /** The devices the batch is split over: none, as PyTorch's without a GPU. */
  readonly deviceIds: readonly number[] = [];
  /** The dim a batch would be split along (0). */
  readonly dim: number;

  /** Wraps `module`; `(deviceIds?, outputDevice?, dim?)` positional or as options. */
  constructor(
    module: M,
    ...rest: WithOptions<
      [
        deviceIds: readonly (number | string)[] | null,
        outputDevice: number | string | null,
        dim: number,
      ],
      DataParallelOptions
    >
  ) {
    super();
    const a = parseArgs(DATA_PARALLEL, [module, ...rest]);
    this.module = a.module as M;
    this.dim = a.dim;
  }

  override forward(...args: Parameters<M["forward"]>): ReturnType<M["forward"]> {
    return (this.module.call as (...a: unknown[]) => ReturnType<M["forward"]>)(...args);
  }
}
