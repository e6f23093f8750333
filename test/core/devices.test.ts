// Devices and the small Tensor methods against PyTorch 1.13: what torch.device accepts and how it
// prints, which Tensor.to forms return the tensor itself, the device option of every creation
// function, Module.to(device), and tolist/dim/elementSize/type. Golden values come from
// tools/golden/devices.py (test/golden/devices/devices.json).

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { CPU, Device, device } from "../../src/core/device.ts";
import type { DType } from "../../src/core/dtype.ts";
import { DeviceError, ValueError } from "../../src/core/errors.ts";
import { Linear } from "../../src/nn/layers/linear.ts";
import {
  arange,
  eye,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  rand,
  randint,
  randLike,
  randn,
  randnLike,
  randperm,
  tensor,
  zeros,
  zerosLike,
} from "../../src/ops/creation.ts";
import { Tensor } from "../../src/tensor/tensor.ts";

interface Parsed {
  input: string | [string, number | null];
  ok: boolean;
  str?: string;
  type?: string;
  index?: number | null;
  error?: string;
}
interface ToCase {
  isSelf: boolean;
  dtype: DType;
  device: string;
  values: number[];
}
interface Golden {
  torch: string;
  devices: { strings: Parsed[]; pairs: Parsed[] };
  to: Record<string, ToCase>;
  perDtype: Record<DType, { elementSize: number; type: string; dim: number }>;
  tolist: Record<
    string,
    { dtype: DType; shape: number[]; flat: (number | boolean)[]; tolist: unknown }
  >;
}

const golden: Golden = JSON.parse(
  fs.readFileSync(
    path.join(import.meta.dirname, "..", "golden", "devices", "devices.json"),
    "utf8",
  ),
);

/** Asserts that `fn` throws a DeviceError whose message contains every part. */
function deviceError(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof DeviceError, `expected DeviceError, got ${e.name}: ${e.message}`);
    for (const p of parts) assert.ok(e.message.includes(p), `"${e.message}" lacks "${p}"`);
    return true;
  });
}

describe("device", () => {
  test("parses the strings torch.device parses, and prints them as str(torch.device)", () => {
    for (const c of golden.devices.strings) {
      const s = c.input as string;
      if (c.ok && c.type === "cpu") {
        const d = device(s);
        assert.equal(d.toString(), c.str, s);
        assert.equal(d.type, c.type, s);
        assert.equal(d.index, c.index, s);
      } else if (c.ok) {
        // PyTorch builds a cuda/mps/meta device and fails on use; Kiln has none of them
        deviceError(() => device(s), `"${s}"`, 'available devices: "cpu"');
      } else {
        deviceError(() => device(s), s);
      }
    }
  });

  test("device(type, index) as torch.device(type, index)", () => {
    for (const c of golden.devices.pairs) {
      const [type, index] = c.input as [string, number | null];
      if (c.ok && c.type === "cpu") {
        const d = device(type, index);
        assert.equal(d.toString(), c.str);
        assert.equal(d.index, c.index);
      } else deviceError(() => device(type, index));
    }
  });

  test("cuda, mps and wasm name the device asked for and list the available ones", () => {
    deviceError(() => device("cuda"), 'device "cuda" is not available', "CUDA", '"cpu"');
    deviceError(() => device("cuda:0"), '"cuda:0"', '"cpu"');
    deviceError(() => device("mps"), '"mps"', '"cpu"');
    deviceError(() => device("wasm"), '"wasm"', 'setBackend("wasm")', '"cpu"');
    deviceError(() => device("cuda", 1), '"cuda:1"');
    deviceError(() => device("foo"), 'unknown device type "foo"', '"cpu"');
    // torch.device(0) is cuda:0
    deviceError(() => device(0 as never), '"cuda:0"');
    assert.ok(new DeviceError("x") instanceof Error);
  });

  test("a Device passes through; x.device is cpu; repr as PyTorch's", () => {
    const d = device("cpu");
    assert.equal(device(d), d);
    assert.ok(d instanceof Device);
    const x = zeros(2);
    assert.equal(x.device, CPU);
    assert.equal(String(x.device), "cpu");
    assert.equal(x.device.index, null);
    assert.equal(
      (d as unknown as Record<symbol, () => string>)[Symbol.for("nodejs.util.inspect.custom")]!(),
      "device(type='cpu')",
    );
    assert.throws(() => (device as (...a: unknown[]) => Device)("cpu", 0, 1), ValueError);
  });
});

describe("Tensor.to, cpu and cuda", () => {
  const x = tensor([1.5, -2], { dtype: "float32" });
  const xi = tensor([1, 2], { dtype: "int32" });
  const forms: Record<string, () => Tensor> = {
    "dtype same": () => x.to("float32"),
    "dtype other": () => x.to("float64"),
    "dtype same copy": () => x.to("float32", { copy: true }),
    "dtype same positional copy": () => x.to("float32", false, true),
    "device cpu": () => x.to("cpu"),
    "device cpu:0": () => x.to("cpu:0"),
    "device object": () => x.to(device("cpu")),
    "device cpu copy": () => x.to("cpu", { copy: true }),
    "device and same dtype": () => x.to("cpu", "float32"),
    "device and other dtype": () => x.to("cpu", "float64"),
    "keywords device dtype": () => x.to({ device: "cpu", dtype: "float64" }),
    "keyword dtype same": () => x.to({ dtype: "float32" }),
    "keyword copy only": () => x.to({ copy: true }),
    "no arguments": () => (x.to as () => Tensor)(),
    "other same dtype": () => x.to(zeros(1)),
    "other int32": () => x.to(xi),
    "other copy": () => x.to(zeros(1), { copy: true }),
    "type() cast same": () => x.type("float32"),
    "type() cast other": () => x.type("float64"),
    "type() name other": () => x.type("torch.DoubleTensor"),
    "cpu()": () => x.cpu(),
  };

  test("returns the tensor itself exactly when PyTorch does", () => {
    assert.deepEqual(Object.keys(forms).sort(), Object.keys(golden.to).sort());
    for (const [name, f] of Object.entries(forms)) {
      const want = golden.to[name]!;
      const y = f();
      assert.equal(y === x, want.isSelf, name);
      assert.equal(y.dtype, want.dtype, name);
      assert.equal(String(y.device), want.device, name);
      assert.deepEqual(y.tolist(), want.values, name);
    }
  });

  test("a copy owns its memory and stays on the graph", () => {
    const a = tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const b = a.to("cpu", { copy: true });
    assert.notEqual(b.storage, a.storage);
    b.mul(3).sum().backward();
    assert.deepEqual(a.grad?.tolist(), [3, 3]);
  });

  test("keeps the dtype typing", () => {
    const f: Tensor<"float64"> = x.to("cpu", "float64");
    const g: Tensor<"int32"> = x.to(xi);
    const h: Tensor<"float32"> = tensor([1], { dtype: "float32" }).to("cpu");
    const k: Tensor<"float64"> = x.to({ dtype: "float64" });
    const t: "torch.IntTensor" = xi.type();
    assert.equal(
      `${f.dtype} ${g.dtype} ${h.dtype} ${k.dtype} ${t}`,
      "float64 int32 float32 float64 torch.IntTensor",
    );
  });

  test("other devices throw a DeviceError; a non-dtype non-device string is a ValueError", () => {
    deviceError(() => x.to("cuda"), '"cuda"', '"cpu"');
    deviceError(() => x.to("cuda:0", "float64"), '"cuda:0"');
    deviceError(() => x.to({ device: "mps" }), '"mps"');
    deviceError(() => x.to("wasm"), "KILN_BACKEND=wasm");
    deviceError(() => x.cuda(), '"cuda"', '"cpu"');
    assert.throws(() => x.to("complex64" as never), /^ValueError: to: argument "dtype"/);
    assert.throws(() => x.to("cpu", { copy: 1 } as never), /"copy" must be a boolean/);
    assert.throws(() => x.to("cpu", { bogus: 1 } as never), /unknown option "bogus"/);
    assert.throws(() => (x.cpu as (a: unknown) => Tensor).call(x, 1), ValueError);
  });
});

describe("the device option of the creation functions", () => {
  const makers: Record<string, (o: { device?: string | Device }) => Tensor> = {
    tensor: (o) => tensor([1, 2], o),
    zeros: (o) => zeros(2, o),
    ones: (o) => ones([2], o),
    full: (o) => full([2], 3, o),
    arange: (o) => arange(3, o),
    linspace: (o) => linspace(0, 1, 3, o),
    eye: (o) => eye(2, o),
    rand: (o) => rand(2, o),
    randn: (o) => randn(2, o),
    randint: (o) => randint(0, 5, [2], o),
    randintHigh: (o) => randint(5, [2], o),
    randperm: (o) => randperm(3, o),
    zerosLike: (o) => zerosLike(zeros(2), o),
    onesLike: (o) => onesLike(zeros(2), o),
    fullLike: (o) => fullLike(zeros(2), 1, o),
    randLike: (o) => randLike(zeros(2), o),
    randnLike: (o) => randnLike(zeros(2), o),
  };

  test("accepts cpu (string, indexed string or Device) and rejects other devices", () => {
    for (const [name, make] of Object.entries(makers)) {
      for (const d of ["cpu", "cpu:0", device("cpu")]) {
        assert.equal(String(make({ device: d }).device), "cpu", `${name} ${String(d)}`);
      }
      const op = name === "randintHigh" ? "randint" : name;
      deviceError(() => make({ device: "cuda" }), `${op}: device "cuda"`, '"cpu"');
      deviceError(() => make({ device: "wasm" }), `${op}:`, "wasm");
    }
    assert.throws(() => zeros(2, { device: 1.5 } as never), /"device" must be a device/);
  });
});

describe("Module.to, cpu and cuda", () => {
  test("moves to cpu as PyTorch: the same module and Parameter objects", () => {
    const m = new Linear(2, 3);
    const w = m.weight;
    const before = w.tolist();
    assert.equal(m.to("cpu"), m);
    assert.equal(m.to(device("cpu")), m);
    assert.equal(m.cpu(), m);
    assert.equal(m.weight, w);
    assert.deepEqual(w.tolist(), before);
    assert.equal(m.to({ device: "cpu" }), m);
    assert.equal(m.weight.dtype, "float32");
  });

  test("to(device, dtype), to(tensor) and to({ dtype }) cast as to(dtype)", () => {
    const m = new Linear(2, 3);
    const w = m.weight;
    m.to("cpu", "float64");
    assert.equal(m.weight, w);
    assert.equal(w.dtype, "float64");
    m.to(zeros(1));
    assert.equal(w.dtype, "float32");
    m.to({ dtype: "float64" });
    assert.equal(m.bias!.dtype, "float64");
    m.to("float32");
    assert.equal(w.dtype, "float32");
    assert.throws(() => m.to("cpu", "int32"), /Module.to: only accepts floating point dtypes/);
  });

  test("other devices throw a DeviceError naming them", () => {
    const m = new Linear(2, 3);
    deviceError(() => m.to("cuda"), "Module.to", '"cuda"', '"cpu"');
    deviceError(() => m.to("cuda:0", "float64"), '"cuda:0"');
    deviceError(() => m.cuda(), "Module.cuda", '"cpu"');
    assert.equal(m.weight.dtype, "float32");
  });
});

describe("tolist, dim, elementSize, type", () => {
  test("tolist gives PyTorch's nested values (a 0-d tensor its scalar)", () => {
    for (const [name, c] of Object.entries(golden.tolist)) {
      const flat =
        c.dtype === "bool"
          ? tensor(c.flat as boolean[], { dtype: "bool" })
          : tensor(c.flat as number[], { dtype: "float64" });
      const t = flat.reshape(c.shape).to(c.dtype);
      assert.equal(t.dtype, c.dtype, name);
      assert.deepEqual(t.tolist(), c.tolist, name);
    }
    // a transposed (non-contiguous) view reads in its own order
    const tr = arange(6, { dtype: "float64" }).reshape(2, 3).t().div(4);
    assert.deepEqual(tr.tolist(), golden.tolist["transposed float64"]!.tolist);
    assert.equal(typeof tensor(true).tolist(), "boolean");
  });

  test("dim, elementSize and type() per dtype", () => {
    for (const [d, want] of Object.entries(golden.perDtype)) {
      const t = zeros(2, 3).to(d as DType);
      assert.equal(t.dim(), want.dim, d);
      assert.equal(t.dim(), t.ndim, d);
      assert.equal(t.elementSize(), want.elementSize, d);
      assert.equal(t.type(), want.type, d);
      assert.equal(zeros(1).type(want.type as "torch.FloatTensor").dtype, d);
    }
  });

  test("wrong arguments throw ValueError", () => {
    const x = zeros(2);
    assert.throws(
      () => x.type("torch.ComplexFloatTensor" as never),
      /type: argument "dtype" must be/,
    );
    assert.throws(() => (x.tolist as (a: unknown) => unknown).call(x, 1), ValueError);
    assert.throws(() => (x.dim as (a: unknown) => number).call(x, 0), ValueError);
    assert.throws(() => (x.elementSize as (a: unknown) => number).call(x, 0), ValueError);
    assert.ok(x instanceof Tensor);
  });
});
