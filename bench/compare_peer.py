#!/usr/bin/env python3
"""Check the NumPy peer against cxroi, so the speed comparison compares like with like.

  compare_peer.py det  PEER.json CXROI.json    deterministic NPV and PV costs agree to 1e-9
                                               (relative): same model, same numbers
  compare_peer.py mean PEER.json CXROI.json    simulated mean NPVs agree within 5 standard
                                               errors of their difference: same distributions

PEER.json is written by numpy_peer.py (--deterministic or not). CXROI.json is either
`cxroi run --json` output (deterministic and, when the CLI simulates, `simulation`) or
`cxroi_bench_sim run --json` output. Prints one line per initiative and a verdict; exits 1
when they disagree.
"""
import json
import math
import sys

# Deterministic: both evaluate the same formulas in nearly the same order of operations;
# the only differences are rounding (the sBG residual value summed as a series here, by
# GSL's 2F1 and a recursion in cxroi), measured at 1e-15. 1e-9 leaves a wide margin
# while catching any modelling difference, which moves NPVs by far more.
DET_TOL = 1e-9
# Simulation: two independent samples of 10^6 draws; their means differ by a normal
# variable of sd sqrt(se1^2 + se2^2). |z| > 5 has probability 6e-7 per initiative if the
# models agree, so a failure means a real difference in the distributions (cxroi's
# 1e-6 tail clamp of normal/lognormal draws moves means by ~1e-7 sd: invisible here).
Z_TOL = 5.0


def cx_stats(r):
    """Mean NPV and its standard error from either cxroi JSON format."""
    if "simulation" in r and r["simulation"]:
        s = r["simulation"]
        return s["npv"]["mean"], s.get("npv_mean_stderr", s["npv"].get("stderr_mean"))
    return r["npv"]["mean"], r["npv"]["stderr_mean"]


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("det", "mean"):
        sys.exit(__doc__)
    mode, peer_path, cx_path = sys.argv[1:]
    peer = {r["id"]: r for r in json.load(open(peer_path))["initiatives"]}
    cx = json.load(open(cx_path))["initiatives"]
    worst, bad = 0.0, []
    for r in cx:
        p = peer[r["id"]]
        if mode == "det":
            d = r["deterministic"]
            err = max(abs(p["npv"] - d["npv"]) / max(abs(d["npv"]), 1.0),
                      abs(p["pv_costs"] - d["pv_costs"]) / max(abs(d["pv_costs"]), 1.0))
            worst = max(worst, err)
            if not err <= DET_TOL:
                bad.append(r["id"])
            print(f"  {r['id']:<24} cxroi NPV {d['npv']:>20.6f}  numpy {p['npv']:>20.6f}  rel. diff {err:.1e}")
        else:
            m, se = cx_stats(r)
            pm, pse = p["npv"]["mean"], p["npv"]["stderr_mean"]
            z = (pm - m) / math.sqrt(se * se + pse * pse)
            worst = max(worst, abs(z))
            if not abs(z) <= Z_TOL:
                bad.append(r["id"])
            print(f"  {r['id']:<24} cxroi mean NPV {m:>18.2f} +- {se:>10.2f}  numpy {pm:>18.2f} +- {pse:>10.2f}  z {z:+.2f}")
    if mode == "det":
        verdict = f"deterministic NPVs: max relative difference {worst:.1e} (tolerance {DET_TOL:g})"
    else:
        verdict = f"mean NPVs: max |z| {worst:.2f} (tolerance {Z_TOL:g} standard errors)"
    print(("AGREE " if not bad else "DISAGREE ") + verdict + (f"; failing: {', '.join(bad)}" if bad else ""))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
