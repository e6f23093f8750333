// Autograd extras against PyTorch 1.13 (tools/golden/autograd_more.py): gradient penalties
// (WGAN-GP) through an MLP and a conv net, Hessian-vector products on an MLP, the functional API
// (jacobian, hessian, vjp, jvp, hvp, vhp) and a Module full backward hook.

import { describe, test } from "node:test";
import { autograd, nn, type Tensor } from "../../src/index.ts";
import { assertClose, dec, decState, type Enc, loadGolden } from "../nn/golden.ts";

const F = nn.functional;

interface Penalty {
  state: Record<string, Enc>;
  x: Enc;
  out: Enc;
  gx: Enc;
  penalty: Enc;
  grads: Record<string, Enc | null>;
}
interface Fixture {
  gpMlp: Penalty;
  gpConv: Penalty;
  hvp: { state: Record<string, Enc>; x: Enc; y: Enc; loss: Enc; g: Enc[]; v: Enc[]; hv: Enc[] };
  functional: {
    x: Enc;
    v: Enc;
    a: Enc;
    b: Enc;
    jac: Enc;
    jac2: Enc[][];
    hess: Enc;
    hess2: Enc[][];
    vjp: Enc[];
    jvp: Enc[];
    hvp: Enc[];
    vhp: Enc[];
  };
  hooks: {
    state: Record<string, Enc>;
    x: Enc;
    w: Enc;
    gradInput: Enc;
    gradOutput: Enc;
    xgrad: Enc;
    wgrad: Enc;
  };
}
const G = loadGolden<Fixture>("autograd_more.json");

class Critic extends nn.Module {
  l1 = new nn.Linear(4, 8);
  l2 = new nn.Linear(8, 8);
  l3 = new nn.Linear(8, 8);
  l4 = new nn.Linear(8, 1);
  override forward(x: Tensor): Tensor {
    return this.l4.call(F.relu(this.l3.call(F.softplus(this.l2.call(this.l1.call(x).tanh())))));
  }
}

class ConvCritic extends nn.Module {
  conv = new nn.Conv2d(2, 4, 3, { padding: 1 });
  bn = new nn.BatchNorm2d(4);
  conv2 = new nn.Conv2d(4, 4, 3, { stride: 2, padding: 1 });
  fc = new nn.Linear(4 * 2 * 2, 1);
  override forward(x: Tensor): Tensor {
    let h = F.maxPool2d(F.softplus(this.bn.call(this.conv.call(x))), 2, { stride: 1, padding: 1 });
    h = F.avgPool2d(this.conv2.call(h).tanh(), 2, { stride: 1, padding: 1 });
    return this.fc.call(F.relu(h.narrow(2, 0, 2).narrow(3, 0, 2)).flatten(1));
  }
}

function penalty(model: nn.Module, c: Penalty): void {
  model.loadStateDict(decState(c.state));
  const x = dec(c.x).requiresGrad_(true);
  const out = model.call(x) as Tensor;
  assertClose(out, c.out, "output");
  const [g] = autograd.grad(out.sum(), x, { createGraph: true });
  assertClose(g!, c.gx, "∂critic/∂x");
  const pen = g!.flatten(1).norm(2, 1).sub(1).pow(2).mean();
  assertClose(pen, c.penalty, "penalty");
  model.zeroGrad();
  pen.backward();
  for (const [name, p] of model.namedParameters()) {
    const e = c.grads[name] ?? null;
    if (e === null) {
      if (p.grad !== null) assertClose(p.grad, p.grad.mul(0), `${name}: PyTorch has no gradient`);
      continue;
    }
    if (p.grad === null) throw new Error(`${name}: no gradient, PyTorch has one`);
    assertClose(p.grad, e, `penalty gradient of ${name}`, 1e-3, 1e-5);
  }
}

describe("higher-order gradients vs PyTorch", () => {
  test("gradient penalty through Linear + tanh/softplus/relu", () =>
    penalty(new Critic(), G.gpMlp));

  test("gradient penalty through conv, batch norm, max/avg pooling", () =>
    penalty(new ConvCritic(), G.gpConv));

  test("Hessian-vector products of an MLP's cross-entropy loss", () => {
    const c = G.hvp;
    const model = new nn.Sequential(
      new nn.Linear(3, 6),
      new nn.Tanh(),
      new nn.Linear(6, 6),
      new nn.Sigmoid(),
      new nn.Linear(6, 2),
    );
    model.loadStateDict(decState(c.state));
    const params = [...model.parameters()];
    const loss = F.crossEntropy(model.call(dec(c.x)) as Tensor, dec(c.y));
    assertClose(loss, c.loss, "loss");
    const gs = autograd.grad(loss, params, { createGraph: true }) as Tensor[];
    gs.forEach((g, i) => {
      assertClose(g, c.g[i]!, `gradient ${i}`);
    });
    const hv = autograd.grad(gs, params, c.v.map(dec));
    hv.forEach((h, i) => {
      assertClose(h!, c.hv[i]!, `Hv ${i}`, 1e-3, 1e-5);
    });
  });
});

describe("autograd.functional vs PyTorch", () => {
  const AF = autograd.functional;
  const c = G.functional;
  const f = (t: Tensor) => t.tanh().mul(t.sum());
  const s = (t: Tensor) => t.pow(3).mul(t.sin()).sum();
  const g2 = (p: Tensor, q: Tensor) => [p.matmul(q).exp(), p.sum().mul(q)];
  const s2 = (p: Tensor, q: Tensor) => p.matmul(q).pow(2).sum().add(p.mul(p).sum().mul(q.sum()));

  test("jacobian: one input and one output, and lists of both", () => {
    assertClose(AF.jacobian(f, dec(c.x)) as Tensor, c.jac, "jacobian");
    const j2 = AF.jacobian(g2, [dec(c.a), dec(c.b)]) as Tensor[][];
    c.jac2.forEach((row, i) => {
      row.forEach((e, k) => {
        assertClose(j2[i]![k]!, e, `jac[${i}][${k}]`);
      });
    });
  });

  test("hessian: one input, and a list of inputs", () => {
    assertClose(AF.hessian(s, dec(c.x)) as Tensor, c.hess, "hessian");
    const h2 = AF.hessian(s2, [dec(c.a), dec(c.b)]) as Tensor[][];
    c.hess2.forEach((row, i) => {
      row.forEach((e, k) => {
        assertClose(h2[i]![k]!, e, `hess[${i}][${k}]`);
      });
    });
  });

  test("vjp, jvp, hvp, vhp return [output, product]", () => {
    const cases = [
      ["vjp", AF.vjp(f, dec(c.x), dec(c.v)), c.vjp],
      ["jvp", AF.jvp(f, dec(c.x), dec(c.v)), c.jvp],
      ["hvp", AF.hvp(s, dec(c.x), dec(c.v)), c.hvp],
      ["vhp", AF.vhp(s, dec(c.x), { v: dec(c.v) }), c.vhp],
    ] as const;
    for (const [name, [out, prod], e] of cases) {
      assertClose(out as Tensor, e[0]!, `${name} output`);
      assertClose(prod as Tensor, e[1]!, `${name} product`);
    }
  });
});

describe("Module full backward hook vs PyTorch", () => {
  test("sees gradInput and gradOutput; its return replaces gradInput", () => {
    const c = G.hooks;
    const lin = new nn.Linear(3, 2);
    lin.loadStateDict(decState(c.state));
    const x = dec(c.x).requiresGrad_(true);
    let seen: [Tensor | null, Tensor | null] = [null, null];
    const h = lin.registerFullBackwardHook((_m, gi, go) => {
      seen = [gi[0]!, go[0]!];
      return [gi[0]!.mul(2)];
    });
    lin.call(x).mul(dec(c.w)).sum().backward();
    h.remove();
    assertClose(seen[0]!, c.gradInput, "gradInput");
    assertClose(seen[1]!, c.gradOutput, "gradOutput");
    assertClose(x.grad!, c.xgrad, "x.grad (doubled by the hook)");
    assertClose(lin.weight.grad!, c.wgrad, "weight.grad");
  });
});
