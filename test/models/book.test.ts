// The models of Deep Learning with PyTorch (dlwpt-code) against PyTorch 1.13 transcriptions in
// tools/golden/models.py: NetResDeep (p1ch8, also in train mode with gradients), LunaModel (p2ch11)
// and UNetWrapper/UNet (p2ch13, util/unet.py) in both up modes.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { load, models, type Tensor } from "../../src/index.ts";
import { assertClose, dec } from "../nn/golden.ts";
import { checkCase, formulaInput, loadCase } from "./golden.ts";

describe("models from Deep Learning with PyTorch", () => {
  it("NetResDeep(): keys (one shared block listed 10 times), repr, eval and train outputs, grads", () => {
    const c = loadCase("net_res_deep");
    const net = new models.NetResDeep();
    checkCase(net, c);
    const t = c.train!;
    // Train mode in float64, as the fixture (ten batch-statistics BatchNorms in a row amplify
    // float32 rounding past 1e-4).
    net.double().train();
    const x = formulaInput(c.input_shape).double().requiresGrad_(true);
    const y = net.call(x);
    y.mul(formulaInput(y.shape, 1.1).double()).sum().backward();
    assertClose(y, t.output, "train output", 1e-9, 1e-12);
    assertClose(x.grad as Tensor, t.grad_input, "grad input", 1e-9, 1e-12);
    const [name, p] = net.namedParameters()[0]!;
    assert.equal(name, t.param);
    assertClose(p.grad as Tensor, t.grad_param, `grad ${name}`, 1e-9, 1e-12);
    // The one BatchNorm ran ten times: its running stats took ten momentum updates.
    const sd = net.stateDict();
    for (const [k, v] of Object.entries(t.state_after)) assertClose(sd[k]!, dec(v), k, 1e-9, 1e-12);
    // One block, shared: parameters() lists it once (9 tensors, as len(list(model.parameters()))).
    assert.equal(net.parameters().length, 9);
    assert.equal(net.namedParameters()[2]![0], "resblocks.0.conv.weight");
  });

  it("NetResDeep takes nChans1, nBlocks positionally or as options", () => {
    const a = new models.NetResDeep(8, 3);
    const b = new models.NetResDeep({ nChans1: 8, nBlocks: 3 });
    assert.equal(String(a), String(b));
    assert.deepEqual(a.fc1.weight.shape, [32, 8 * 8 * 8]);
    assert.equal(a.resblocks.length, 3);
  });

  it("LunaModel(): keys, repr, [logits, probabilities] on 1x1x32x48x48", () => {
    checkCase(new models.LunaModel(), loadCase("luna"));
  });

  it("UNetWrapper as p2ch13 trains it (depth 3, wf 4, padding, batch norm, upconv)", () => {
    const net = new models.UNetWrapper({
      inChannels: 7,
      nClasses: 1,
      depth: 3,
      wf: 4,
      padding: true,
      batchNorm: true,
      upMode: "upconv",
    });
    checkCase(net, loadCase("unet_p2ch13"));
  });

  it("UNetWrapper with upMode 'upsample', no padding (centre crops), no batch norm", () => {
    const net = new models.UNetWrapper({
      inChannels: 1,
      nClasses: 2,
      depth: 2,
      wf: 3,
      padding: false,
      batchNorm: false,
      upMode: "upsample",
    });
    checkCase(net, loadCase("unet_upsample"));
  });

  it("loads PyTorch's own torch.save'd state dict (int64 num_batches_tracked) strictly", () => {
    const net = new models.UNetWrapper({
      inChannels: 1,
      nClasses: 2,
      depth: 2,
      wf: 3,
      upMode: "upsample",
    });
    const path = fileURLToPath(new URL("../golden/models/unet_upsample.pt", import.meta.url));
    const sd = load<Record<string, Tensor>>(path);
    assert.deepEqual(net.loadStateDict(sd, { strict: true }), {
      missingKeys: [],
      unexpectedKeys: [],
    });
    net.eval();
    const c = loadCase("unet_upsample");
    assertClose(
      net.call(formulaInput(c.input_shape)),
      c.outputs[0]!,
      "output with the .pt weights",
    );
  });

  it("rejects a bad upMode and unknown options", () => {
    assert.throws(() => new models.UNet({ upMode: "deconv" as never }), /upMode/);
    assert.throws(() => new models.UNetWrapper({ n_classes: 2 } as never), /unknown option/);
    assert.throws(() => new models.LunaModel({ channels: 2 } as never), /unknown option/);
  });
});
