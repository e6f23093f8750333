// Global autograd modes as scopes: inference mode (torch.inference_mode) and anomaly detection
// (torch.autograd.detect_anomaly / set_detect_anomaly). The flags themselves live in
// src/tensor/graph.ts, where the engine and the nodes read them. Depends on src/tensor and src/core.

import { checkArity, showValue } from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { setAnomalyMode, withGradMode } from "../tensor/graph.ts";

let inference = false;

/** Whether inference mode is on, as torch.is_inference_mode_enabled. */
export function isInferenceModeEnabled(): boolean {
  if (arguments.length > 0) checkArity("isInferenceModeEnabled", arguments, 0);
  return inference;
}

function scope<T>(op: string, args: IArguments): [boolean, () => T] {
  const a = [...args];
  const fn = a.pop();
  if (typeof fn !== "function" || a.length > 1 || (a.length === 1 && typeof a[0] !== "boolean")) {
    throw new ValueError(
      `${op}: expected (fn) or (mode: boolean, fn), where fn is the function to run (Python's ` +
        `with-block body), got ${[...args].map(showValue).join(", ") || "no arguments"}`,
    );
  }
  return [a.length === 1 ? (a[0] as boolean) : true, fn as () => T];
}

/**
 * Runs `fn` in inference mode, as `with torch.inference_mode():` (or `inferenceMode(false, fn)`
 * to leave it): no op records gradients. NOTE: Kiln's inference mode is grad mode off plus the
 * flag `isInferenceModeEnabled()`; tensors made in it are ordinary tensors (PyTorch marks them
 * as inference tensors that autograd later refuses).
 */
export function inferenceMode<T>(fn: () => T): T;
export function inferenceMode<T>(mode: boolean, fn: () => T): T;
export function inferenceMode<T>(..._args: unknown[]): T {
  const [mode, fn] = scope<T>("inferenceMode", arguments);
  const prev = inference;
  inference = mode;
  try {
    return mode ? withGradMode(false, fn) : fn();
  } finally {
    inference = prev;
  }
}

/**
 * Runs `fn` with anomaly detection, as `with torch.autograd.detect_anomaly(check_nan):`: nodes
 * recorded in it remember where their forward op ran, and a backward pass in it raises an
 * AutogradError naming the node (and its forward op) whose gradient holds NaN.
 */
export function detectAnomaly<T>(fn: () => T): T;
export function detectAnomaly<T>(checkNan: boolean, fn: () => T): T;
export function detectAnomaly<T>(..._args: unknown[]): T {
  const [checkNan, fn] = scope<T>("detectAnomaly", arguments);
  const prev = setAnomalyMode(true, checkNan);
  try {
    return fn();
  } finally {
    setAnomalyMode(prev[0], prev[1]);
  }
}

/** Switches anomaly detection on or off globally, as torch.autograd.set_detect_anomaly. */
export function setDetectAnomaly(mode: boolean, checkNan = true): void {
  if (typeof mode !== "boolean" || typeof checkNan !== "boolean") {
    throw new ValueError(
      `setDetectAnomaly: expected (mode: boolean, checkNan?: boolean), got ${showValue(mode)}, ${showValue(checkNan)}`,
    );
  }
  if (arguments.length > 2) checkArity("setDetectAnomaly", arguments, 2);
  setAnomalyMode(mode, checkNan);
}
