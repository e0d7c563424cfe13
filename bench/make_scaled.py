#!/usr/bin/env python3
"""Write bench/scaled.yaml: the Monte Carlo benchmark scenario.

A scenario larger than the bundled examples, built by fixed arithmetic (no random
numbers: running this script twice writes the same bytes), so the file can be
committed and regenerated:

  - 10 segments: 7 with a constant retention rate, 3 with an sBG retention curve and a
    tenure; a few segment inputs are uncertain (drawn once per iteration, shared by
    every initiative);
  - 20 initiatives: 18 CX initiatives acting on 1 to 4 segments each (retention or
    churn, revenue, cost to serve, acquisitions), with delays and ramps, upfront and
    annual costs as PERT, triangular, uniform, lognormal and normal (some truncated)
    distributions, effects also as beta and discrete distributions, some direct
    benefits; and 2 `kind: other` capital requests;
  - horizon 15, discount rate 0.08, customer-equity terminal value, 1,000,000 plain
    Monte Carlo iterations, seed 7, no correlations (the NumPy peer does no copula).

Usage: python3 bench/make_scaled.py [OUTPUT]   (default: bench/scaled.yaml beside it)
"""
import os
import sys

N_SEGMENTS = 10
N_INITIATIVES = 20
SBG_SEGMENTS = {2: (0.704, 1.182, 3), 5: (1.2, 2.0, 2), 8: (0.9, 3.5, 5)}  # index: alpha, beta, tenure
OTHER_INITIATIVES = {9, 19}  # 0-based: i10 and i20


def frac(i, k, mod=97):
    """A fixed pseudo-spread in [0, 1): (37 i + 11 k + 5) mod 97 / 97."""
    return ((37 * i + 11 * k + 5) % mod) / mod


def num(x):
    """A short, exact-enough decimal for YAML."""
    return format(round(x, 6), ".6g") if abs(x) < 1e5 else format(round(x, 0), ".6g")


def money(x):
    """Large amounts in the scientific notation CX leads write (1.85e+06 -> 1.85e6)."""
    mant, exp = format(x, ".4e").split("e")
    mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}"


def segment_lines(s):
    f = lambda k: frac(s, k)
    customers = int(50000 + 1950000 * f(1)) // 1000 * 1000
    revenue = round(120 + 2400 * f(2) ** 2, 0)
    margin = round(0.25 + 0.3 * f(3), 3)
    cts = round(revenue * (0.05 + 0.1 * f(4)), 0)
    acq = int(customers * (0.04 + 0.12 * f(5))) // 100 * 100
    out = [f"  - id: seg{s + 1:02d}", f"    name: Segment {s + 1}", f"    customers: {customers}"]
    # Uncertain baseline inputs, drawn once per iteration for every initiative.
    if s == 0:
        out.append(f"    revenue_per_customer: {{dist: normal, mean: {num(revenue)}, sd: {num(revenue * 0.05)}}}")
    elif s == 5:
        out.append(f"    revenue_per_customer: {{dist: lognormal, mean: {num(revenue)}, sd: {num(revenue * 0.08)}}}")
    else:
        out.append(f"    revenue_per_customer: {num(revenue)}")
    if s == 3:
        out.append(f"    margin: {{dist: uniform, min: {num(margin - 0.02)}, max: {num(margin + 0.02)}}}")
    else:
        out.append(f"    margin: {num(margin)}")
    if s == 1:
        out.append(f"    cost_to_serve: {{dist: triangular, min: {num(cts * 0.9)}, mode: {num(cts)}, max: {num(cts * 1.25)}}}")
    else:
        out.append(f"    cost_to_serve: {num(cts)}")
    if s in SBG_SEGMENTS:
        a, b, tenure = SBG_SEGMENTS[s]
        out.append(f"    retention_curve: {{sbg: {{alpha: {a}, beta: {b}}}, tenure: {tenure}}}")
    elif s == 6:
        r = round(0.78 + 0.15 * f(6), 3)
        out.append(f"    retention: {{dist: pert, min: {num(r - 0.03)}, mode: {num(r)}, max: {num(r + 0.02)}}}")
    else:
        out.append(f"    retention: {num(round(0.78 + 0.15 * f(6), 3))}")
    if s == 7:
        out.append(f"    acquisitions_per_year: {{dist: uniform, min: {acq * 0.8:.0f}, max: {acq * 1.2:.0f}}}")
    else:
        out.append(f"    acquisitions_per_year: {acq}")
    return out


def cost_dist(family, centre):
    """A cost distribution around `centre` of the given family."""
    c = centre
    if family == 0:
        return f"{{dist: pert, min: {money(c * 0.85)}, mode: {money(c)}, max: {money(c * 1.5)}}}"
    if family == 1:
        return f"{{dist: triangular, min: {money(c * 0.9)}, mode: {money(c)}, max: {money(c * 1.4)}}}"
    if family == 2:
        return f"{{dist: uniform, min: {money(c * 0.8)}, max: {money(c * 1.3)}}}"
    if family == 3:
        return f"{{dist: lognormal, mean: {money(c)}, sd: {money(c * 0.25)}}}"
    if family == 4:
        return f"{{dist: normal, mean: {money(c)}, sd: {money(c * 0.1)}}}"
    return f"{{dist: normal, mean: {money(c)}, sd: {money(c * 0.2)}, min: {money(c * 0.7)}}}"


def effect_dist(family, mode, spread):
    """An effect distribution with centre `mode`; spread > 0 its half-width."""
    lo, hi = mode - spread, mode + spread
    if family == 0:
        return f"{{dist: pert, min: {num(lo)}, mode: {num(mode)}, max: {num(hi + spread)}}}"
    if family == 1:
        return f"{{dist: triangular, min: {num(lo)}, mode: {num(mode)}, max: {num(hi)}}}"
    if family == 2:
        return f"{{dist: uniform, min: {num(lo)}, max: {num(hi)}}}"
    if family == 3:
        return f"{{dist: normal, mean: {num(mode)}, sd: {num(spread / 2)}}}"
    if family == 4:
        return f"{{dist: normal, mean: {num(mode)}, sd: {num(spread)}, min: {num(lo)}, max: {num(hi)}}}"
    if family == 5:
        # beta(2, 3) rescaled to [lo, hi + spread]
        return f"{{dist: beta, alpha: 2, beta: 3, min: {num(lo)}, max: {num(hi + spread)}}}"
    if family == 6:
        return (f"{{dist: discrete, values: [{num(lo)}, {num(mode)}, {num(hi)}], "
                f"probs: [0.25, 0.5, 0.25]}}")
    return num(mode)  # a plain number


def initiative_lines(i):
    f = lambda k: frac(i, k, 89)
    out = [f"  - id: ini{i + 1:02d}", f"    name: Initiative {i + 1}"]
    upfront = 0.5e6 + 4.5e6 * f(1)
    annual = upfront * (0.08 + 0.15 * f(2))
    if i in OTHER_INITIATIVES:
        out.append("    kind: other")
        out.append(f"    start: {i % 2}")
        out.append("    costs:")
        out.append(f"      upfront: {cost_dist(i % 6, upfront)}")
        out.append(f"    benefits: {{annual: {cost_dist((i + 2) % 6, upfront * 0.22)}}}")
        return out
    start = i % 3
    ramp = (i * 7) % 4
    out.append(f"    start: {start}")
    out.append(f"    ramp_years: {ramp}")
    out.append("    costs:")
    out.append(f"      upfront: {cost_dist(i % 6, upfront)}")
    out.append(f"      annual: {cost_dist((i + 3) % 6, annual)}")
    if i % 4 == 1:
        out.append(f"    benefits: {{annual: {cost_dist((i + 1) % 6, annual * 0.6)}}}")
    n_eff = 1 + i % 4
    segs = []
    k = 0
    while len(segs) < n_eff:
        s = (3 * i + 7 * k) % N_SEGMENTS
        if s not in segs:
            segs.append(s)
        k += 1
    out.append("    effects:")
    for j, s in enumerate(segs):
        out.append(f"      seg{s + 1:02d}:")
        first = len(out)
        fam = (i + 2 * j) % 8
        which = (i + j) % 5
        # retention (absolute) or churn (relative), never both
        if which in (0, 3):
            out.append(f"        retention: {effect_dist(fam, 0.004 + 0.012 * f(10 + j), 0.004)}")
        elif which in (1, 4):
            out.append(f"        churn: {effect_dist(fam, -0.03 - 0.07 * f(20 + j), 0.02)}")
        if which != 2 or j % 2 == 0:
            out.append(f"        revenue: {effect_dist((fam + 1) % 8, 0.005 + 0.02 * f(30 + j), 0.005)}")
        if (i + j) % 3 != 1:
            out.append(f"        cost_to_serve: {effect_dist((fam + 2) % 8, -0.02 - 0.05 * f(40 + j), 0.01)}")
        if (i + j) % 4 == 0 or len(out) == first:
            out.append(f"        acquisitions: {effect_dist((fam + 3) % 8, 0.01 + 0.03 * f(50 + j), 0.008)}")
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "scaled.yaml")
    lines = [
        "# bench/scaled.yaml - the Monte Carlo benchmark scenario. GENERATED by",
        "# bench/make_scaled.py (fixed arithmetic, no randomness): edit that, not this.",
        "# 10 segments (7 constant retention, 3 sBG), 20 initiatives (2 kind: other),",
        "# horizon 15, customer equity, 1,000,000 Monte Carlo iterations. Synthetic numbers.",
        "cxroi: 1",
        "name: Scaled Monte Carlo benchmark",
        "currency: EUR",
        "horizon: 15",
        "discount_rate: 0.08",
        "terminal_value: customer_equity",
        "simulation: {iterations: 1000000, seed: 7, sampling: monte_carlo}",
        "",
        "segments:",
    ]
    for s in range(N_SEGMENTS):
        lines += segment_lines(s)
    lines += ["", "initiatives:"]
    for i in range(N_INITIATIVES):
        lines += initiative_lines(i)
    text = "\n".join(lines) + "\n"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
