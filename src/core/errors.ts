// Typed errors raised by Kiln. Messages name the op, what was given and what was expected,
// in the manner of PyTorch's own messages. Depends on nothing.

/** Base class of every error Kiln raises on purpose. */
export class KilnError extends Error {
  /** `"KilnError"`, the name `String(err)` and stack traces print before the message. */
  override name = "KilnError";
}

/** Shapes that do not fit together: broadcasting, matmul, reshape, cat. */
export class ShapeError extends KilnError {
  /** `"ShapeError"`, the name `String(err)` and stack traces print before the message. */
  override name = "ShapeError";
}

/** A dtype an op does not accept, or a lossy in-place cast. */
export class DTypeError extends KilnError {
  /** `"DTypeError"`, the name `String(err)` and stack traces print before the message. */
  override name = "DTypeError";
}

/** An index, dimension or slice out of range, or a mask of the wrong shape. */
export class IndexError extends KilnError {
  /** `"IndexError"`, the name `String(err)` and stack traces print before the message. */
  override name = "IndexError";
}

/** A value outside what an op or option accepts (negative lr, p outside [0, 1]). */
export class ValueError extends KilnError {
  /** `"ValueError"`, the name `String(err)` and stack traces print before the message. */
  override name = "ValueError";
}

/** Autograd misuse: backward through a freed graph, in-place on a saved tensor or a leaf. */
export class AutogradError extends KilnError {
  /** `"AutogradError"`, the name `String(err)` and stack traces print before the message. */
  override name = "AutogradError";
}

/** A file whose bytes do not follow its format. */
export class FormatError extends KilnError {
  /** `"FormatError"`, the name `String(err)` and stack traces print before the message. */
  override name = "FormatError";
}

/** A device Kiln cannot place tensors on ("cuda", "mps", "wasm" before its backend lands), or a malformed device string. */
export class DeviceError extends KilnError {
  /** `"DeviceError"`, the name `String(err)` and stack traces print before the message. */
  override name = "DeviceError";
}
