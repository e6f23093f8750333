// Devices, as torch.device: where a tensor's memory lives. Every Kiln backend (native or
// reference) keeps memory on the CPU, so "cpu" is the one device today; the other device types
// PyTorch names, and "wasm" (a backend over CPU tensors, not a device), throw a DeviceError listing
// the available ones.
// Pure functions; depends only on errors.ts and args.ts.

import { checkArity, showValue } from "./args.ts";
import { DeviceError } from "./errors.ts";

/** The device types Kiln can place tensors on today (its backends all hold memory on the CPU). */
export type DeviceType = "cpu";

/** What a `device` argument accepts: a Device, or a string such as `"cpu"` or `"cpu:0"`. */
export type DeviceLike = Device | string;

/** The devices tensors can be placed on, for messages. */
export const AVAILABLE_DEVICES: readonly DeviceType[] = ["cpu"];

// The device types torch.device knows (PyTorch 1.13, c10/core/DeviceType.cpp), plus Kiln's "wasm".
const KNOWN_TYPES: ReadonlySet<string> = new Set([
  "cpu",
  "cuda",
  "ipu",
  "xpu",
  "mkldnn",
  "opengl",
  "opencl",
  "ideep",
  "hip",
  "ve",
  "fpga",
  "ort",
  "xla",
  "lazy",
  "vulkan",
  "mps",
  "meta",
  "hpu",
  "privateuseone",
  "wasm",
]);

const AVAILABLE = AVAILABLE_DEVICES.map((d) => `"${d}"`).join(", ");

/**
 * A device, as torch.device: `type` ("cpu") and `index` (null unless one was given, as in
 * `"cpu:0"`). Build one with `device(...)`.
 *
 * @example device("cpu").toString(); // "cpu", as str(torch.device("cpu"))
 */
export class Device {
  /** The device type, as torch.device.type. */
  readonly type: DeviceType;
  /** The device index, or null when none was given, as torch.device.index (None). */
  readonly index: number | null;

  /** Use `device(type, index?)`, which checks its arguments. */
  constructor(type: DeviceType, index: number | null = null) {
    this.type = type;
    this.index = index;
    Object.freeze(this);
  }

  /** `"cpu"`, or `"cpu:0"` with an index, as str(torch.device). */
  toString(): string {
    return this.index === null ? this.type : `${this.type}:${this.index}`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.index === null
      ? `device(type='${this.type}')`
      : `device(type='${this.type}', index=${this.index})`;
  }
}

/** The device every tensor is on today: `cpu`, with no index. */
export const CPU: Device = new Device("cpu");

/** Whether `v` may be a device argument (checked further by `toDevice`). */
export function isDeviceLike(v: unknown): v is DeviceLike {
  return v instanceof Device || typeof v === "string" || Number.isInteger(v);
}

/** Whether `s` names a device type PyTorch or Kiln knows ("cuda:0" yes, "float32" no). */
export function isDeviceString(s: string): boolean {
  const colon = s.indexOf(":");
  return KNOWN_TYPES.has(colon < 0 ? s : s.slice(0, colon));
}

function unavailable(op: string, shown: string, type: string): DeviceError {
  const why =
    type === "wasm"
      ? 'tensors stay on "cpu" and the wasm backend computes on them: select it with setBackend("wasm") or KILN_BACKEND=wasm'
      : `Kiln has no ${type === "cuda" ? "CUDA" : type} backend`;
  return new DeviceError(
    `${op}: device "${shown}" is not available (${why}); available devices: ${AVAILABLE}`,
  );
}

/**
 * The Device `v` names, as torch.device parses it: a Device, `"cpu"`, `"cpu:<index>"` (a
 * non-negative integer without leading zeros), or an int (a CUDA ordinal, as in PyTorch).
 * Throws a DeviceError naming what was asked for and listing the available devices.
 */
export function toDevice(op: string, v: unknown): Device {
  if (v instanceof Device) return v;
  if (Number.isInteger(v)) return parseDeviceString(op, `cuda:${v as number}`);
  if (typeof v !== "string") {
    throw new DeviceError(
      `${op}: expected a device (a string such as "cpu" or a Device), got ${showValue(v)}`,
    );
  }
  return parseDeviceString(op, v);
}

function parseDeviceString(op: string, s: string): Device {
  const colon = s.indexOf(":");
  const type = colon < 0 ? s : s.slice(0, colon);
  if (!KNOWN_TYPES.has(type)) {
    throw new DeviceError(
      `${op}: unknown device type "${type}" at the start of device string "${s}"; available devices: ${AVAILABLE}`,
    );
  }
  const indexText = colon < 0 ? null : s.slice(colon + 1);
  if (indexText !== null && !/^(0|[1-9][0-9]*)$/.test(indexText)) {
    throw new DeviceError(
      `${op}: invalid device string "${s}" (expected a device type, optionally followed by ":" and a non-negative index, e.g. "cpu" or "cpu:0")`,
    );
  }
  if (type !== "cpu") throw unavailable(op, s, type);
  return indexText === null ? CPU : new Device("cpu", Number(indexText));
}

/**
 * A device, as torch.device: `device("cpu")`, `device("cpu:0")`, `device("cpu", 0)`. CPU is the
 * one device Kiln has today; "cuda", "mps", "wasm" and PyTorch's other device types throw a
 * DeviceError that lists the available devices (PyTorch builds the device and fails on use).
 *
 * @example zeros(2, 3, { device: device("cpu") }); x.to(device("cpu"));
 */
export function device(type: DeviceLike, index?: number | null): Device {
  if (arguments.length > 2) checkArity("device", arguments, 2);
  if (index === undefined || index === null) return toDevice("device", type);
  if (!Number.isInteger(index)) {
    throw new DeviceError(
      `device: argument "index" must be an int or null, got ${showValue(index)}`,
    );
  }
  if (typeof type !== "string") {
    throw new DeviceError(
      `device: with an index, the type must be a string such as "cpu", got ${showValue(type)}`,
    );
  }
  if (type.includes(":")) {
    throw new DeviceError(
      `device: type (string) must not include an index because index was passed explicitly: ${type}`,
    );
  }
  if (index < 0) throw new DeviceError(`device: Device index must not be negative, got ${index}`);
  return toDevice("device", `${type}:${index}`);
}
