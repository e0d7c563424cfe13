#!/usr/bin/env python3
"""Cross-check: every deterministic number cxroi writes for a scenario must equal the
independent Python implementation of SPEC.md (tests/reference/spec_model.py) to 1e-9
relative (1e-7 for segments with a fitted `survival:` curve, whose two independent
maximum-likelihood fits agree to about 1e-8).

Usage: crosscheck.py CXROI_EXE SCENARIO.yaml [...]
Prints one line per scenario and closes with 'N passed, N failed'.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
import spec_model  # noqa: E402


# The break-even multiplier is a root found iteratively by both sides (GSL Brent in C);
# both stop within about 1e-12 of the root, so 1e-9 relative is safe.
BREAK_EVEN_TOL = 1e-9


def uses_survival(path):
    text = open(path).read()
    base = os.path.dirname(path)
    for line in text.splitlines():
        if line.strip().startswith("include:"):
            for inc in line.split("[", 1)[-1].rstrip("]").split(","):
                inc = inc.strip()
                if inc and os.path.exists(os.path.join(base, inc)):
                    text += open(os.path.join(base, inc)).read()
    return "survival:" in text


def main(argv):
    exe, scenarios = os.path.abspath(argv[1]), argv[2:]
    passed = failed = 0
    # `run` also writes the Excel report into the current directory: keep it out of sight.
    scratch = tempfile.mkdtemp(prefix="cxroi-crosscheck-")
    for path in scenarios:
        path = os.path.abspath(path)
        out = subprocess.run([exe, "run", path, "--json", "-", "--quiet", "-n", "1000"],
                             capture_output=True, text=True, cwd=scratch)
        if out.returncode != 0:
            print("FAIL %s: cxroi exited %d: %s" % (path, out.returncode, out.stderr.strip()))
            failed += 1
            continue
        got = json.loads(out.stdout)
        want = spec_model.run(path)
        tol = 1e-7 if uses_survival(path) else 1e-9
        # Compare initiative by initiative, matched by id.
        by_id = {i["id"]: i for i in got["initiatives"]}
        errors = []
        for w in want["initiatives"]:
            g = by_id.get(w["id"])
            if g is None:
                errors.append("%s: missing initiative" % w["id"])
                continue
            g_flat = dict(g["deterministic"])
            errors += spec_model.compare(g_flat, w["deterministic"], tol, w["id"])
            errors += spec_model.compare(
                {"break_even": g.get("break_even_effect_multiplier")},
                {"break_even": w.get("break_even_effect_multiplier")}, max(tol, BREAK_EVEN_TOL),
                w["id"])
        if errors:
            failed += 1
            print("FAIL %s (tolerance %g):" % (path, tol))
            for e in errors[:20]:
                print("   ", e)
        else:
            passed += 1
            print("ok   %s (%d initiatives, tolerance %g)" % (path, len(want["initiatives"]), tol))
    shutil.rmtree(scratch, ignore_errors=True)
    print("crosscheck: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
