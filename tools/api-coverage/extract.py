"""Extracts the PyTorch API names that real PyTorch programs use, for issue 15's coverage measure.

Writes tools/api-coverage/uses.json: per program (one .py file, or one notebook's code cells), the
set of fully qualified PyTorch names it uses. tools/api-coverage/check.ts maps those names to
Kiln's and measures how many are present. Needs /usr/bin/python3 with torch and torchvision (for
`dir(torch.Tensor)` and the module layout); reads the corpus from bare git mirrors, never from
the network, and depends on nothing in Kiln.

    /usr/bin/python3 tools/api-coverage/extract.py [MIRROR_ROOT]   (default /work/.mirror)
    /usr/bin/python3 tools/api-coverage/extract.py --self-test     (the rules on a snippet)

The mirrors are bare git repositories at MIRROR_ROOT/<owner>+<name>/repo (REPOS below); any
clone works: `git clone --bare https://github.com/<owner>/<name> MIRROR_ROOT/<owner>+<name>/repo`.

What counts as a use (each name once per program):
  * A reference `a.b.c` whose root name was imported from torch or torchvision, resolved through
    the file's import aliases (`import torch.nn as nn`, `from torch import nn`,
    `import torch.nn.functional as F`, `from torch.optim import Adam`, ...). The name recorded is
    the deepest torch/torchvision *module* in the chain plus the one member after it:
    `F.relu(x)` -> `torch.nn.functional.relu`, `nn.init.kaiming_normal_` ->
    `torch.nn.init.kaiming_normal_`, `torch.float32` -> `torch.float32`, `Adam(...)` ->
    `torch.optim.Adam`. Submodules of torch.utils.data and torch.nn.modules are folded into
    their public module (`torch.utils.data.dataloader.DataLoader` -> `torch.utils.data.DataLoader`).
    A chain that ends at a module (`nn` passed around) is no use.
  * A method call `expr.X(...)` on any expression not rooted at an imported name, where X is a
    Tensor method, recorded as `torch.Tensor.X`. X is a Tensor method when it is a public,
    non-dunder attribute of `torch.Tensor` (from `dir(torch.Tensor)` at extraction time) that is
    NOT also an attribute of Python's builtin containers and scalars (list, tuple, dict, set,
    frozenset, str, bytes, int, float, complex): those names (with torch 1.13: `add`, `sort`,
    `split`, `values`, `real`, `imag`; uses.json lists them) cannot be told apart from set/list/
    str/dict calls without types, so they are not counted at all. Names Tensor shares with
    numpy.ndarray and nn.Module (`sum`, `reshape`, `to`, `cpu`, `float`) are counted: PyTorch
    mirrors those APIs on purpose and Kiln needs them on Tensor either way. Without types this
    over-counts a few names on other objects (a numpy array's `.clip`, a PIL image's `.resize`,
    torch.fx's `tracer.trace`); the report's program counts include them. Attribute reads that
    are not calls (`x.shape`, `x.grad`, `x.data`) are not counted: on untyped code they are too
    ambiguous (`args.data`, `self.device`).
    Receivers rooted at an imported name (`np.sum(...)`, `math.exp(...)`, `os.path.split(...)`)
    are never Tensor method calls.
  * Python syntax (`model(x)`, `x[i]`, operators, dunder methods) is not an API name and is
    not counted; docs/porting-guide.md covers it.
Aliases are collected per file, ignoring scopes (imports inside functions count for the file).
The JSON is laid out by the repository's formatter (node_modules/.bin/biome) when present.
Notebooks: code cells are joined, IPython magics (`%`, `!`, trailing `?`) dropped. Files that do
not parse as Python 3 are listed in uses.json's "skipped" with the reason.
"""

import ast
import inspect
import json
import os
import subprocess
import sys

import torch
import torchvision

REPOS = [
    "pytorch/examples",
    "deep-learning-with-pytorch/dlwpt-code",
    "karpathy/nanoGPT",
    "kuangliu/pytorch-cifar",
]

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "uses.json")

# Submodules whose public names are re-exported by a parent: fold them into the parent.
FOLD = {
    "torch.utils.data.dataset": "torch.utils.data",
    "torch.utils.data.dataloader": "torch.utils.data",
    "torch.utils.data.sampler": "torch.utils.data",
    "torch.nn.parameter": "torch.nn",
    "torch.optim.optimizer": "torch.optim",
    "torchvision.datasets.folder": "torchvision.datasets",
}

# torch 2 modules that torch 1.13 lacks but the corpus may use (so they are not read as functions).
EXTRA_MODULES = {
    "torch.accelerator",
    "torch.amp",
    "torch.utils.tensorboard",
    "torch.distributed.tensor.parallel",
    "torch.distributed._tensor.device_mesh",
    "torch.compiler",
    "torch._dynamo",
    "torch._inductor",
    "torch.func",
    "torch.export",
    "torch.mps",
    "torch.xpu",
    "torch.distributed.fsdp",
    "torch.distributed.checkpoint",
    "torch.distributed.tensor",
    "torch.distributed._tensor",
    "torch.distributed.device_mesh",
    "torch.nn.attention",
}


def _builtin_attrs():
    names = set()
    for t in (list, tuple, dict, set, frozenset, str, bytes, int, float, complex):
        names.update(dir(t))
    return names


def tensor_methods():
    ambiguous = _builtin_attrs()
    out = set()
    for name in dir(torch.Tensor):
        if name.startswith("_") or name in ambiguous:
            continue
        attr = getattr(torch.Tensor, name, None)
        if attr is None or isinstance(attr, property) or type(attr).__name__ == "getset_descriptor":
            continue  # properties (x.shape, x.grad) are reads, not calls
        if callable(attr):
            out.add(name)
    return out


TENSOR_METHODS = tensor_methods()
EXCLUDED_TENSOR_NAMES = sorted(
    n for n in dir(torch.Tensor) if not n.startswith("_") and n in _builtin_attrs()
)


def is_module(qual):
    """Whether the dotted name is a torch/torchvision module (imported or importable)."""
    if qual in EXTRA_MODULES or qual in FOLD:
        return True
    if qual in sys.modules:
        return inspect.ismodule(sys.modules[qual])
    parts = qual.split(".")
    obj = {"torch": torch, "torchvision": torchvision}.get(parts[0])
    if obj is None:
        return False
    for p in parts[1:]:
        try:
            obj = getattr(obj, p, None)
        except Exception:  # e.g. torch.classes raises for unknown names
            return False
        if obj is None:
            try:
                __import__(qual)
                return inspect.ismodule(sys.modules.get(qual))
            except Exception:
                return False
    return inspect.ismodule(obj)


def qualify(parts):
    """`['torch','nn','functional','relu','x']` -> 'torch.nn.functional.relu' (module + member)."""
    i = 1
    while i < len(parts) and is_module(".".join(parts[: i + 1])):
        i += 1
    if i >= len(parts):
        return None  # the chain names a module
    mod = ".".join(parts[:i])
    mod = FOLD.get(mod, mod)
    if mod.startswith("torch.nn.modules"):  # torch.nn.modules.linear.Linear is torch.nn.Linear
        mod = "torch.nn"
    member = parts[i]
    if member.startswith("__"):
        return None
    return f"{mod}.{member}"


def chain(node):
    """Dotted parts of a Name/Attribute chain, or None when its root is not a plain name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


class Extractor(ast.NodeVisitor):
    def __init__(self, tree):
        self.aliases = {}  # local name -> qualified torch/torchvision path
        self.imported = set()  # every local name bound by an import (torch or not)
        self.names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    local = a.asname or a.name.split(".")[0]
                    self.imported.add(local)
                    target = a.name if a.asname else a.name.split(".")[0]
                    if target.split(".")[0] in ("torch", "torchvision"):
                        self.aliases[local] = target
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    local = a.asname or a.name
                    self.imported.add(local)
                    if node.level == 0 and node.module and node.module.split(".")[0] in (
                        "torch",
                        "torchvision",
                    ):
                        if a.name != "*":
                            self.aliases[local] = f"{node.module}.{a.name}"

    def record(self, parts):
        q = qualify(parts)
        if q is not None:
            self.names.add(q)

    def visit_Attribute(self, node):
        parts = chain(node)
        if parts is not None and parts[0] in self.aliases:
            self.record(self.aliases[parts[0]].split(".") + parts[1:])
            return  # the whole chain is one use
        self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.aliases:
            self.record(self.aliases[node.id].split("."))

    def visit_Call(self, node):
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in TENSOR_METHODS:
            parts = chain(f.value)
            rooted_at_import = parts is not None and parts[0] in self.imported
            literal = isinstance(f.value, (ast.Constant, ast.List, ast.Dict, ast.Set, ast.Tuple))
            if not rooted_at_import and not literal:
                self.names.add(f"torch.Tensor.{f.attr}")
        self.generic_visit(node)


def notebook_source(text):
    nb = json.loads(text)
    lines = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", [])
        src = "".join(src) if isinstance(src, list) else src
        for line in src.splitlines():
            s = line.strip()
            if s.startswith(("%", "!")) or s.endswith("?"):
                continue
            lines.append(line)
        lines.append("")
    return "\n".join(lines)


def git(gitdir, *args):
    return subprocess.run(
        ["git", "--git-dir", gitdir, *args], check=True, capture_output=True
    ).stdout


SELF_TEST = """
import numpy as np, math
import torch, torch.nn as nn
import torch.nn.functional as F
from torch import optim
from torch.optim import Adam as A
from torch.utils.data import DataLoader
from torch.utils.data.dataloader import default_collate
import torchvision.transforms as T
from torchvision import datasets
class Net(nn.Module):
    def forward(self, x):
        y = F.relu(self.fc(x)).view(-1, 4).sum(1)
        return torch.max(y, 1)[0] + np.sum(y) + math.exp(1) + x.split(2)[0]
opt = A(Net().parameters()); s = optim.lr_scheduler.StepLR(opt, 1); torch.float64
dl = DataLoader(datasets.MNIST("."), collate_fn=default_collate); T.Compose([]); ", ".join([])
nn.init.kaiming_normal_(w); torch.nn.modules.linear.Linear; torch.cuda.is_available(); torch.nn
"""

SELF_TEST_EXPECTED = {
    "torch.nn.Module", "torch.nn.functional.relu", "torch.Tensor.view", "torch.Tensor.sum",
    "torch.max", "torch.optim.Adam", "torch.optim.lr_scheduler.StepLR", "torch.float64",
    "torch.utils.data.DataLoader", "torch.utils.data.default_collate",
    "torchvision.datasets.MNIST", "torchvision.transforms.Compose",
    "torch.nn.init.kaiming_normal_", "torch.nn.Linear", "torch.cuda.is_available",
}


def self_test():
    """The alias and method rules above on one snippet (np.sum, math.exp, str.join, split: none)."""
    tree = ast.parse(SELF_TEST)
    ex = Extractor(tree)
    ex.visit(tree)
    assert ex.names == SELF_TEST_EXPECTED, sorted(ex.names ^ SELF_TEST_EXPECTED)
    print("extract.py self-test: ok")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return
    root = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror"
    programs, skipped = [], []
    for repo in REPOS:
        gitdir = os.path.join(root, repo.replace("/", "+"), "repo")
        commit = git(gitdir, "rev-parse", "HEAD").decode().strip()
        paths = git(gitdir, "ls-tree", "-r", "--name-only", "HEAD").decode().splitlines()
        for path in sorted(p for p in paths if p.endswith((".py", ".ipynb"))):
            try:
                raw = git(gitdir, "show", f"HEAD:{path}").decode("utf-8", "replace")
            except subprocess.CalledProcessError:
                skipped.append({"repo": repo, "path": path, "reason": "blob absent from mirror"})
                continue
            try:
                src = notebook_source(raw) if path.endswith(".ipynb") else raw
                tree = ast.parse(src)
            except (SyntaxError, ValueError) as e:
                skipped.append({"repo": repo, "path": path, "reason": type(e).__name__})
                continue
            ex = Extractor(tree)
            ex.visit(tree)
            programs.append(
                {"repo": repo, "path": path, "commit": commit, "names": sorted(ex.names)}
            )
    out = {
        "generator": "/usr/bin/python3 tools/api-coverage/extract.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "torchDtypes": {
            n: str(getattr(torch, n)).removeprefix("torch.")
            for n in sorted(dir(torch))
            if isinstance(getattr(torch, n), torch.dtype)
        },
        "tensorMethodsExcludedAsAmbiguous": EXCLUDED_TENSOR_NAMES,
        "programs": programs,
        "skipped": skipped,
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    # The repository's formatter owns JSON layout (npm run lint checks it).
    biome = os.path.join(os.path.dirname(OUT), "..", "..", "node_modules", ".bin", "biome")
    if os.path.exists(biome):
        subprocess.run([biome, "format", "--write", OUT], check=True, capture_output=True)
    used = [p for p in programs if p["names"]]
    print(f"{len(programs)} programs ({len(used)} use torch), {len(skipped)} skipped -> {OUT}")


if __name__ == "__main__":
    main()
