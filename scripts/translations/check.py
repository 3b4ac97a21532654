#!/usr/bin/env python3
"""Check every snippet of README.md and the guides (docs/*.md), and every @example, as jsii-rosetta
translated it (the tablet, which scripts/rosetta-extract.ts writes).

Run by scripts/translations/check.sh, which provides the packages built from this repository.

- Python: each translation becomes a module: a fixed prelude (an App and a Stack named `self`),
  then the translation as it is; names the snippet declares (`declare const cache: PullThroughCache`)
  become annotated names (`cache: PullThroughCache`, `Any` where the type is unknown to Python).
  All modules are type-checked with one mypy run against the installed wheel and aws-cdk-lib; a
  self-contained module (no `declare`) that type-checks is also executed and synthesized.
- Java: each translation becomes a class extending Stack: a fixed prelude of imports, the
  translation's own import lines, its `Type name;` declarations of declared names as fields, its
  class declarations as member classes and the rest as the constructor body. All classes are
  compiled with javac against the built jar and aws-cdk-lib.
- Go: each translation becomes a package: its import lines, a prelude import of jsii and awscdk,
  its type and func declarations, and the rest as the body of `func snippet(this awscdk.Stack)`.
  Parsed with gofmt -e (go/parser), then compiled with `go build` where it parses. The Go is the
  hand-written Go of consumers/go/snippets (scripts/go-snippets.ts writes it into the tablet), so it
  is counted like Python and Java.

The snippet bodies are never edited: only moved into place.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Snippet:
    key: str
    index: int
    location: str
    ts: str
    translations: Dict[str, str]
    declared: List[Tuple[str, str]] = field(default_factory=list)  # (name, TS type)

    @property
    def self_contained(self) -> bool:
        return not self.declared


# ---------------------------------------------------------------------------------------- tablet

def location_of(loc: dict, assembly: dict) -> str:
    api = loc.get("api", {})
    fld = loc.get("field", {})
    kind = api.get("api")
    if kind == "moduleReadme":
        line = fld.get("line")
        return f"README.md:{line}" if line is not None else "README.md"
    if kind == "file":
        line = fld.get("line")
        return f"{api.get('fileName')}:{line}" if line is not None else api.get("fileName", "?")
    fqn = api.get("fqn", "")
    t = assembly.get("types", {}).get(fqn, {})
    where = t.get("locationInModule", {}).get("filename", fqn)
    line = t.get("locationInModule", {}).get("line")
    name = fqn.split(".")[-1]
    if kind == "member":
        name += "." + api.get("memberName", "?")
    elif kind == "parameter":
        name += f".{api.get('methodName', '?')}({api.get('parameterName', '?')})"
    what = "@example" if fld.get("field") == "example" else fld.get("field", "?")
    suffix = f":{line}" if line else ""
    if fld.get("field") == "markdown" and fld.get("line") is not None:
        what += f" line {fld['line']}"
    return f"{where}{suffix} ({what} of {name})"


DECLARE_RE = re.compile(r"^\s*declare\s+const\s+(\w+)\s*:\s*(.+?)\s*;?\s*$", re.M)


def load_snippets(tablet_path: Path, assembly_path: Path) -> List[Snippet]:
    tablet = json.loads(tablet_path.read_text())
    assembly = json.loads(assembly_path.read_text())
    out: List[Snippet] = []
    for key, s in tablet["snippets"].items():
        tr = {lang: v["source"] for lang, v in s["translations"].items()}
        ts = tr.pop("$", "")
        out.append(Snippet(key=key, index=0, location=location_of(s.get("location", {}), assembly), ts=ts,
                           translations=tr, declared=DECLARE_RE.findall(ts)))

    # Document order: README by line, the guides by file and line, then the examples by file and line.
    def order(sn: Snippet):
        m = re.match(r"README\.md:(\d+)", sn.location)
        if m:
            return (0, "", int(m.group(1)))
        m = re.match(r"(docs/[^:]+\.md):(\d+)$", sn.location)
        if m:
            return (1, m.group(1), int(m.group(2)))
        m = re.match(r"([^:]+):?(\d*)", sn.location)
        return (2, m.group(1) if m else sn.location, int(m.group(2) or 0) if m else 0)

    out.sort(key=order)
    for i, sn in enumerate(out, 1):
        sn.index = i
    return out


# ---------------------------------------------------------------------------- TS imports & types

IMPORT_NS_RE = re.compile(r"^\s*import\s+\*\s+as\s+(\w+)\s+from\s+'([^']+)'", re.M)
IMPORT_NAMED_RE = re.compile(r"^\s*import\s*\{([^}]*)\}\s*from\s+'([^']+)'", re.M)


def ts_imports(source: str) -> Dict[str, Tuple[str, Optional[str]]]:
    """name -> (module, exported name or None for a namespace import)."""
    names: Dict[str, Tuple[str, Optional[str]]] = {}
    for alias, mod in IMPORT_NS_RE.findall(source):
        names[alias] = (mod, None)
    for group, mod in IMPORT_NAMED_RE.findall(source):
        for part in group.split(","):
            part = part.strip()
            if not part:
                continue
            m = re.match(r"(\w+)(?:\s+as\s+(\w+))?$", part)
            if m:
                names[m.group(2) or m.group(1)] = (mod, m.group(1))
    return names


class PyTypes:
    """TS type text -> Python annotation, through the snippet's and the fixture's imports."""

    def __init__(self, own_module: str, own_python: str):
        self.own_module = own_module
        self.own_python = own_python

    def module(self, ts_module: str) -> Optional[str]:
        if ts_module == self.own_module:
            return self.own_python
        if ts_module == "aws-cdk-lib":
            return "aws_cdk"
        if ts_module.startswith("aws-cdk-lib/"):
            return "aws_cdk." + ts_module.split("/", 1)[1].replace("-", "_")
        if ts_module == "constructs":
            return "constructs"
        return None

    def annotation(self, ts_type: str, imports: Dict[str, Tuple[str, Optional[str]]],
                   needed: Dict[str, str]) -> str:
        t = ts_type.strip()
        if t.endswith("[]"):
            return f"typing.Sequence[{self.annotation(t[:-2], imports, needed)}]"
        m = re.match(r"(?:Array|ReadonlyArray)<(.+)>$", t)
        if m:
            return f"typing.Sequence[{self.annotation(m.group(1), imports, needed)}]"
        prim = {"string": "str", "number": "float", "boolean": "bool"}
        if t in prim:
            return prim[t]
        parts = t.split(".")
        if not all(re.match(r"^\w+$", p) for p in parts):
            return "typing.Any"
        head = imports.get(parts[0])
        if head is None:
            return "typing.Any"
        mod, exported = head
        pymod = self.module(mod)
        if pymod is None:
            return "typing.Any"
        alias = "_t_" + pymod.replace(".", "_")
        needed[alias] = pymod
        rest = ([exported] if exported else []) + parts[1:]
        if not rest:
            return "typing.Any"
        return f"{alias}.{'.'.join(rest)}"


TEMPLATE_RE = re.compile(r"`((?:[^`\\]|\\.)*)`", re.S)


def python_template_problems(ts: str) -> List[str]:
    """What rosetta's Python gets wrong in the snippet's template literals, which neither mypy (a
    declared name may be Any) nor a synth (the string is just different) notices: it copies each
    `${...}` expression verbatim into the f-string (`mirror.upstreamHost`), and doubles backslashes
    (`\\n` becomes a backslash and an n)."""
    problems = []
    for m in TEMPLATE_RE.finditer(ts):
        body = m.group(1)
        line = ts.count("\n", 0, m.start()) + 1
        for expr in re.findall(r"\$\{([^}]*)\}", body):
            if snake(expr.strip()) != expr.strip():
                problems.append(f"TS line {line}: template literal expression ${{{expr}}} is copied as it is "
                                f"into the Python f-string (should be {snake(expr.strip())}): concatenate instead")
        if "\\" in re.sub(r"\$\{[^}]*\}", "", body):
            problems.append(f"TS line {line}: escape sequence in a template literal: rosetta's Python doubles "
                            "the backslash; pass separate strings instead")
    return problems


def python_import_problems(sn: "Snippet") -> List[str]:
    """rosetta's Python adds a `from <module> import A, A, B` line for the structs a snippet builds
    from object literals, one name per literal, unless their module is imported as a namespace
    (`import * as ptc from 'cdk-pull-through-cache'`): valid, but not what a user should copy."""
    problems = []
    for line in sn.translations.get("python", "").splitlines():
        m = re.match(r"^from\s+([\w.]+)\s+import\s+(.+)$", line)
        if m:
            names = [n.strip() for n in m.group(2).split(",")]
            dups = sorted({n for n in names if names.count(n) > 1})
            if dups:
                problems.append(f"the import line `{line[:90]}` repeats {', '.join(dups)}: import the module "
                                "of those structs as a namespace (import * as x from '...')")
    return problems


def snake(name: str) -> str:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


# ---------------------------------------------------------------------------------------- python

def python_module(sn: Snippet, types: PyTypes, fixture_imports) -> Tuple[str, List[int]]:
    """The module text and its line origins."""
    imports = dict(fixture_imports)
    imports.update(ts_imports(sn.ts))
    needed: Dict[str, str] = {}
    annotations = []
    for name, ts_type in sn.declared:
        annotations.append(f"{snake(name)}: {types.annotation(ts_type, imports, needed)}")
    head = [
        f"# Generated by scripts/translations/check.py from {sn.location}: the prelude, then rosetta's",
        "# Python translation as it is, then the synthesis.",
        "import typing",
        "import aws_cdk as _fixture_cdk",
    ]
    head += [f"import {mod} as {alias}" for alias, mod in sorted(needed.items())]
    head += [
        "_fixture_app = _fixture_cdk.App()",
        "self = _fixture_cdk.Stack(_fixture_app, 'Snippet')",
    ]
    head += annotations
    head.append("# ---- translation ----")
    body = sn.translations.get("python", "").split("\n")
    out = prelude(*head) + [(t, i + 1) for i, t in enumerate(body)]
    out += prelude("# ---- end of translation ----", "_fixture_app.synth()")
    return render(out)


# ------------------------------------------------------------------------------------ splitting

# A generated file is a list of (text, line of the translation it comes from, or 0 for the prelude).
Lines = List[Tuple[str, int]]


def split_declarations(source: str, starts: Tuple[str, ...]) -> Tuple[Lines, Lines, Lines]:
    """(import lines, top-level declarations, statements) of a translation. A declaration starts
    with one of `starts` at column 0 and ends at the next line that is `}` at column 0."""
    imports: Lines = []
    decls: Lines = []
    stmts: Lines = []
    lines = source.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if re.match(r"^import\b", line):
            imports.append((line, i + 1))
            if line.rstrip().endswith("("):  # Go: import ( ... )
                while i + 1 < len(lines):
                    i += 1
                    imports.append((lines[i], i + 1))
                    if lines[i].strip() == ")":
                        break
        elif line.startswith(starts):
            decls.append((line, i + 1))
            if not line.rstrip().endswith("}") or line.count("{") != line.count("}"):
                while i + 1 < len(lines):
                    i += 1
                    decls.append((lines[i], i + 1))
                    if lines[i].rstrip() == "}":
                        break
        else:
            stmts.append((line, i + 1))
        i += 1
    return imports, decls, stmts


def prelude(*texts: str) -> Lines:
    return [(t, 0) for t in texts]


def render(lines: Lines) -> Tuple[str, List[int]]:
    """The file text and, per line (index 0 = line 1), the translation line it comes from."""
    return "\n".join(t for t, _ in lines) + "\n", [o for _, o in lines]


def where(origins: List[int], line: int) -> str:
    o = origins[line - 1] if 0 < line <= len(origins) else 0
    return f"translation line {o}" if o else f"generated line {line} (prelude)"


# ------------------------------------------------------------------------------------------ java

JAVA_PRELUDE = [
    "import java.util.List;",
    "import java.util.Map;",
    "import software.constructs.Construct;",
    "import software.amazon.awscdk.*;",
]


def java_class(sn: Snippet, java_package: str) -> Tuple[str, str, List[int]]:
    """(class name, source, line origins)."""
    cls = f"Snippet{sn.index:02d}"
    source = sn.translations.get("java", "")
    imports, decls, stmts = split_declarations(source, ("public class ", "class ", "public interface ",
                                                        "interface ", "public enum ", "enum "))
    fields: Lines = []
    declared = {name for name, _ in sn.declared}
    body: Lines = []
    for text, orig in stmts:
        m = re.match(r"^([\w.<>?, \[\]]+?)\s+(\w+);\s*$", text)
        if m and m.group(2) in declared:
            fields.append(("    " + text.strip(), orig))
        else:
            body.append((text, orig))
    out = prelude(f"// Generated by scripts/translations/check.py from {sn.location}.", "package snippets;",
                  *JAVA_PRELUDE, f"import {java_package}.*;")
    out += imports
    out += prelude(f"public class {cls} extends Stack {{")
    out += fields + decls
    out += prelude(f"    public {cls}(final Construct scope, final String id) {{", "        super(scope, id);")
    out += body + prelude("    }", "}")
    text, origins = render(out)
    return cls, text, origins


# -------------------------------------------------------------------------------------------- go

GO_CDK = "github.com/aws/aws-cdk-go/awscdk/v2"
GO_JSII = "github.com/aws/jsii-runtime-go"


def go_file(sn: Snippet) -> Tuple[str, List[int]]:
    source = sn.translations.get("go", "")
    imports, decls, stmts = split_declarations(source, ("type ", "func "))
    own = "\n".join(t for t, _ in imports)
    out = prelude(f"// Generated by scripts/translations/check.py from {sn.location}.",
                  f"package snippet{sn.index:02d}", "")
    out += imports
    out += prelude(f'import fixtureawscdk "{GO_CDK}"')
    if f'"{GO_JSII}"' not in own:
        out += prelude(f'import "{GO_JSII}"', "var _ = jsii.String")
    out += decls
    out += prelude("func snippet(this fixtureawscdk.Stack) {")
    out += stmts + prelude("}")
    return render(out)


# ------------------------------------------------------------------------------------ reporting

@dataclass
class Result:
    ok: bool
    error: str = ""


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return "(no output)"


def run(cmd: List[str], cwd: Optional[Path] = None, env: Optional[dict] = None,
        timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def check_python(snippets: List[Snippet], work: Path, python: str, types: PyTypes, fixture_imports,
                 mypy_cache: Path) -> Dict[int, Result]:
    d = work / "python"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    files: Dict[int, Tuple[Path, List[int]]] = {}
    for sn in snippets:
        if "python" not in sn.translations:
            continue
        text, first = python_module(sn, types, fixture_imports)
        p = d / f"snippet{sn.index:02d}.py"
        p.write_text(text)
        files[sn.index] = (p, first)
    results: Dict[int, Result] = {}
    if not files:
        return results
    # One mypy run: every module is its own script (no package), checked against the venv.
    # --strict-optional and the defaults; no --strict: snippets are not annotated code.
    cmd = [python, "-m", "mypy", "--no-error-summary", "--show-error-codes", "--no-color-output",
           "--hide-error-context", "--show-column-numbers", "--cache-dir", str(mypy_cache),
           "--scripts-are-modules", "--explicit-package-bases", "--no-incremental" if os.environ.get(
               "TRANSLATIONS_MYPY_NO_CACHE") else "--incremental"]
    cmd += [str(p) for p, _ in files.values()]
    t0 = time.time()
    proc = run(cmd, cwd=d, timeout=900)
    print(f"  mypy over {len(files)} modules: {time.time() - t0:.0f}s", flush=True)
    errors: Dict[str, List[str]] = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"^(.*?snippet(\d+)\.py):(\d+):(\d+): (error|note): (.*)$", line)
        if m and m.group(5) == "error":
            errors.setdefault(m.group(2), []).append(f"{m.group(3)}:{m.group(4)}: {m.group(6)}")
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not errors):
        print(proc.stdout[-3000:] + proc.stderr[-3000:], file=sys.stderr)
        for idx in files:
            results[idx] = Result(False, "mypy did not run: " + first_line(proc.stderr or proc.stdout))
        return results
    by_index = {sn.index: sn for sn in snippets}
    runnable = []
    for idx, (p, first) in files.items():
        errs = errors.get(f"{idx:02d}", [])
        lint = python_template_problems(by_index[idx].ts) + python_import_problems(by_index[idx])
        if lint:
            results[idx] = Result(False, "rosetta-unfriendly TypeScript: " + lint[0]
                                  + (f" (+{len(lint) - 1} more)" if len(lint) > 1 else ""))
        elif errs:
            line, col, msg = errs[0].split(":", 2)
            results[idx] = Result(False, f"mypy: {where(first, int(line))}: {msg.strip()}"
                                  + (f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""))
        elif by_index[idx].self_contained:
            runnable.append(idx)
        else:
            results[idx] = Result(True)
    # Self-contained snippets: run each module, which synthesizes its app, in one Python process
    # (one jsii kernel: starting one costs seconds), each in its own namespace.
    if runnable:
        t0 = time.time()
        runner = d / "_synth_all.py"
        runner.write_text(SYNTH_RUNNER)
        try:
            proc = run([python, str(runner)] + [str(files[i][0]) for i in runnable], cwd=d, timeout=900)
            out = proc.stdout
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            proc = None
        done = {}
        for line in out.splitlines():
            m = re.match(r"^RESULT snippet(\d+)\.py (ok|FAILED)(?: (.*))?$", line)
            if m:
                done[int(m.group(1))] = Result(m.group(2) == "ok", "synth: " + (m.group(3) or ""))
        for idx in runnable:
            results[idx] = done.get(idx, Result(False, "synth: did not run (" + (
                first_line(proc.stderr[-2000:]) if proc else "timed out") + ")"))
        print(f"  synth of {len(runnable)} self-contained modules: {time.time() - t0:.0f}s", flush=True)
    return results


SYNTH_RUNNER = """
import os, runpy, sys, traceback
for path in sys.argv[1:]:
    name = os.path.basename(path)
    os.environ["CDK_OUTDIR"] = path[:-3] + ".cdk.out"
    try:
        runpy.run_path(path, run_name="__main__")
        print(f"RESULT {name} ok", flush=True)
    except BaseException as e:  # noqa: BLE001 - report and go on
        last = (str(e).strip().splitlines() or [""])[-1]
        print(f"RESULT {name} FAILED {type(e).__name__}: {last}", flush=True)
        traceback.print_exc()
"""


JAVAC_ERR_RE = re.compile(r"^(.*?)(Snippet(\d+))\.java:(\d+): error: (.*)$")


def check_java(snippets: List[Snippet], work: Path, classpath: str, java_package: str) -> Dict[int, Result]:
    d = work / "java"
    shutil.rmtree(d, ignore_errors=True)
    (d / "src" / "snippets").mkdir(parents=True)
    files: Dict[int, Tuple[Path, List[int]]] = {}
    for sn in snippets:
        if "java" not in sn.translations:
            continue
        cls, text, first = java_class(sn, java_package)
        p = d / "src" / "snippets" / f"{cls}.java"
        p.write_text(text)
        files[sn.index] = (p, first)
    results: Dict[int, Result] = {}
    pending = dict(files)
    # javac stops before type checking when any file has a syntax error: compile what is left
    # until a run reports no new failure.
    rounds = 0
    while pending:
        rounds += 1
        t0 = time.time()
        proc = run(["javac", "-proc:none", "-Xmaxerrs", "10000", "-encoding", "UTF-8", "-nowarn",
                    "-d", str(d / "classes"), "-cp", classpath] + [str(p) for p, _ in pending.values()],
                   cwd=d, timeout=600)
        print(f"  javac over {len(pending)} classes: {time.time() - t0:.0f}s", flush=True)
        failed: Dict[int, List[str]] = {}
        out_lines = (proc.stdout + proc.stderr).splitlines()
        for n, line in enumerate(out_lines):
            m = JAVAC_ERR_RE.match(line)
            if m:
                idx = int(m.group(3))
                # "cannot find symbol" names the symbol a few lines below.
                detail = next((l.strip() for l in out_lines[n + 1:n + 5] if l.strip().startswith("symbol:")), "")
                if idx in pending:
                    failed.setdefault(idx, []).append(f"{m.group(4)}: {m.group(5)}"
                                                      + (f" ({detail})" if detail else ""))
        if proc.returncode == 0:
            for idx in pending:
                results[idx] = Result(True)
            break
        if not failed:
            for idx in pending:
                results[idx] = Result(False, "javac: " + first_line(proc.stderr or proc.stdout))
            break
        for idx, errs in failed.items():
            line, msg = errs[0].split(":", 1)
            first = pending[idx][1]
            results[idx] = Result(False, f"javac: {where(first, int(line))}: {msg.strip()}"
                                  + (f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""))
            del pending[idx]
    return results


def check_go(snippets: List[Snippet], work: Path, gomod_template: Path, gosum: Path,
             go_lib: Path) -> Tuple[Dict[int, Result], Dict[int, bool]]:
    d = work / "go"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    mod = gomod_template.read_text()
    mod = re.sub(r"^module .*$", "module translations.check/snippets", mod, count=1, flags=re.M)
    mod = re.sub(r"=>\s*\S*dist/go/cdkpullthroughcache", f"=> {go_lib}", mod)
    (d / "go.mod").write_text(mod)
    shutil.copy(gosum, d / "go.sum")
    files: Dict[int, Tuple[Path, List[int]]] = {}
    for sn in snippets:
        if "go" not in sn.translations:
            continue
        text, first = go_file(sn)
        sub = d / f"snippet{sn.index:02d}"
        sub.mkdir()
        (sub / "snippet.go").write_text(text)
        files[sn.index] = (sub / "snippet.go", first)
    results: Dict[int, Result] = {}
    parsed: Dict[int, bool] = {}
    for idx, (p, first) in files.items():
        proc = run(["gofmt", "-e", "-l", str(p)])
        parsed[idx] = proc.returncode == 0
        if not parsed[idx]:
            m = re.search(r":(\d+):(\d+): (.*)", proc.stderr)
            results[idx] = Result(False, f"go/parser: {where(first, int(m.group(1)))}: {m.group(3)}"
                                  if m else "go/parser: " + first_line(proc.stderr))
    # An import no module of go.mod provides (rosetta writes `github.com/aws/aws-cdk-go/awscdk`
    # for every aws-cdk-lib module) would make `go build` look it up and fail for every package.
    modules = re.findall(r"^\s*(?:require\s+)?([\w.\-]+\.[\w.\-]+/\S+)\s+v\S+", mod, re.M)
    ok = []
    for idx in [i for i in files if parsed[i]]:
        text = files[idx][0].read_text()
        paths = re.findall(r'^import\s+(?:\w+\s+)?"([^"]+)"', text, re.M)
        bad = [p for p in paths if "." in p.split("/")[0]
               and not any(p == m or p.startswith(m + "/") for m in modules)]
        if bad:
            line = next(n for n, l in enumerate(text.splitlines(), 1) if f'"{bad[0]}"' in l)
            results[idx] = Result(False, f"go: {where(files[idx][1], line)}: import \"{bad[0]}\" is in no module of go.mod")
        else:
            ok.append(idx)

    def build(indexes: List[int]) -> Tuple[subprocess.CompletedProcess, Dict[int, List[str]]]:
        proc = run(["go", "build"] + [f"./snippet{i:02d}" for i in indexes], cwd=d, timeout=900)
        errs: Dict[int, List[str]] = {}
        for line in (proc.stdout + proc.stderr).splitlines():
            m = re.match(r"^(?:\./)?snippet(\d+)/snippet\.go:(\d+):(\d+): (.*)$", line)
            if m:
                errs.setdefault(int(m.group(1)), []).append(f"{m.group(2)}:{m.group(4)}")
        return proc, errs

    if ok:
        t0 = time.time()
        proc, errs = build(ok)
        unexplained = proc.returncode != 0 and not errs
        for idx in ok:
            if unexplained:  # e.g. a module error: build each package alone to tell them apart
                p1, e1 = build([idx])
                if p1.returncode == 0:
                    results[idx] = Result(True)
                elif idx in e1:
                    errs[idx] = e1[idx]
                else:
                    results[idx] = Result(False, "go build: " + first_line(p1.stderr))
            if idx in errs:
                line, msg = errs[idx][0].split(":", 1)
                results[idx] = Result(False, f"go build: {where(files[idx][1], int(line))}: "
                                      f"{msg.strip()}" + (f" (+{len(errs[idx]) - 1} more)" if len(errs[idx]) > 1 else ""))
            elif idx not in results:
                results[idx] = Result(True)
        print(f"  go build over {len(ok)} packages: {time.time() - t0:.0f}s", flush=True)
    return results, parsed


def report(lang: str, snippets: List[Snippet], results: Dict[int, Result]) -> Tuple[int, int]:
    passed = sum(1 for r in results.values() if r.ok)
    failed = sum(1 for r in results.values() if not r.ok)
    by_index = {sn.index: sn for sn in snippets}
    kinds: Dict[str, List[int]] = {"README": [0, 0], "guides": [0, 0], "@examples": [0, 0]}
    for idx, r in results.items():
        loc = by_index[idx].location
        kind = "README" if loc.startswith("README.md") else "guides" if loc.startswith("docs/") else "@examples"
        kinds[kind][0 if r.ok else 1] += 1
    split = ", ".join(f"{k} {v[0]}/{v[0] + v[1]}" for k, v in kinds.items())
    print(f"\n{lang}: {len(results)} snippets, passed={passed} failed={failed} ({split})")
    for idx in sorted(results):
        if not results[idx].ok:
            print(f"  FAIL #{idx:02d} {by_index[idx].location}: {results[idx].error}")
    return passed, failed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tablet", default=str(ROOT / ".jsii.tabl.json"))
    ap.add_argument("--assembly", default=str(ROOT / ".jsii"))
    ap.add_argument("--fixture", default=str(ROOT / "rosetta" / "default.ts-fixture"))
    ap.add_argument("--work", default=str(ROOT / "dist" / "translations"))
    ap.add_argument("--python", help="the venv's python (mypy, the wheel, aws-cdk-lib)")
    ap.add_argument("--mypy-cache", default=None)
    ap.add_argument("--classpath", help="javac classpath (the jar, aws-cdk-lib, ...)")
    ap.add_argument("--go-mod", help="go.mod to copy (its replace of dist/go/... is rewritten)")
    ap.add_argument("--go-sum")
    ap.add_argument("--go-lib", help="the generated Go module directory")
    ap.add_argument("--only", default="python,java,go")
    args = ap.parse_args()

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    snippets = load_snippets(Path(args.tablet), Path(args.assembly))
    assembly = json.loads(Path(args.assembly).read_text())
    own_module = assembly["name"]
    types = PyTypes(own_module, assembly["targets"]["python"]["module"])
    fixture = Path(args.fixture).read_text() if Path(args.fixture).exists() else ""
    fixture_imports = ts_imports(fixture)
    print(f"{len(snippets)} snippets in {args.tablet}")
    for sn in snippets:
        decl = ", ".join(f"{n}: {t}" for n, t in sn.declared)
        print(f"  #{sn.index:02d} {sn.location}" + (f"  [declares {decl}]" if decl else "  [self-contained]"))

    only = set(args.only.split(","))
    passed = failed = 0
    if "python" in only:
        print("\n==> Python: mypy (and synth when self-contained)", flush=True)
        res = check_python(snippets, work, args.python, types, fixture_imports,
                           Path(args.mypy_cache or work / ".mypy_cache"))
        p, f = report("python", snippets, res)
        passed += p
        failed += f
    if "java" in only:
        print("\n==> Java: javac", flush=True)
        res = check_java(snippets, work, args.classpath, assembly["targets"]["java"]["package"])
        p, f = report("java", snippets, res)
        passed += p
        failed += f
    go_line = None
    if "go" in only:
        print("\n==> Go: go/parser, go build", flush=True)
        res, parsed = check_go(snippets, work, Path(args.go_mod), Path(args.go_sum), Path(args.go_lib))
        # The Go is ours (consumers/go/snippets, written into the tablet by scripts/go-snippets.ts):
        # counted like Python and Java. A snippet without hand-written Go keeps rosetta's, which fails.
        p, f = report("go", snippets, res)
        passed += p
        failed += f
        n = len(res)
        go_line = (f"go: {n} snippets, {sum(parsed.values())} parse, {sum(1 for r in res.values() if r.ok)} compile, "
                   f"{sum(1 for r in res.values() if not r.ok)} fail (a snippet without Go in consumers/go/snippets "
                   "keeps rosetta's, which does not compile)")
    print(f"\nfiles: {work}")
    if go_line:
        print(go_line)
    started = os.environ.get("TRANSLATIONS_START")
    if started:
        print(f"translation check took {int(time.time()) - int(started)}s")
    print(f"translation checks passed={passed} failed={failed}")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
