// node:assert/strict for the browser test bundle (test/backend's checks import it): the few
// functions those checks call, throwing AssertionError-like errors. Browser tests only; no Node API.

class AssertionError extends Error {
  override name = "AssertionError";
}

function fmt(v: unknown): string {
  try {
    return typeof v === "string" ? JSON.stringify(v) : String(v);
  } catch {
    return "?";
  }
}

function assert(value: unknown, message?: string): asserts value {
  if (!value) throw new AssertionError(message ?? `expected a truthy value, got ${fmt(value)}`);
}
assert.ok = assert;
assert.equal = (a: unknown, b: unknown, message?: string): void => {
  if (!Object.is(a, b)) throw new AssertionError(message ?? `${fmt(a)} !== ${fmt(b)}`);
};
assert.strictEqual = assert.equal;
assert.notEqual = (a: unknown, b: unknown, message?: string): void => {
  if (Object.is(a, b)) throw new AssertionError(message ?? `${fmt(a)} === ${fmt(b)}`);
};
assert.fail = (message?: string): never => {
  throw new AssertionError(message ?? "failed");
};
assert.deepEqual = (a: unknown, b: unknown, message?: string): void => {
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    throw new AssertionError(
      message ?? `${fmt(JSON.stringify(a))} does not deep-equal ${fmt(JSON.stringify(b))}`,
    );
  }
};
assert.deepStrictEqual = assert.deepEqual;

export default assert;
export { AssertionError };
