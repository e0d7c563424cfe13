#!/usr/bin/env python3
"""Independent plain-Python reimplementation of SPEC.md's deterministic model.

Written from SPEC.md alone (not from src/model.c) to cross-check the C engine.
Reads a scenario YAML (following `include`s), takes every input at its deterministic
value (`base:` when given, else the distribution's mean), and prints for each
initiative the deterministic case as JSON, in the layout of
../shared/reference/*.expected.json.

Usage:
    spec_model.py SCENARIO.yaml                 # print the JSON
    spec_model.py SCENARIO.yaml --check EXPECTED.json [--tol 1e-9]
                                                # compare, exit 1 on a mismatch

Needs only the standard library and PyYAML (Debian: python3-yaml).

Conventions (SPEC.md "The model", with the team's reading of it):
- g_t = 0 for t <= start, else min(1, (t - start)/ramp_years), 1 when ramp_years = 0.
- N_t = N_{t-1} r'_t + A'_t with year t's ramped retention and acquisitions; year t's
  contribution is N'_{t-1} m'_t with year t's ramped revenue and cost to serve.
- sBG: the existing base has survived `tenure` renewals during year 1 and retains
  r(tenure) at its end; year j's acquisitions have age 0 during year j + 1. At H a
  cohort's age is the number of renewals it has survived (base: tenure + H).
- Terminal value: (N'_H - N_H) per cohort times m * sum_k S(a+k)/S(a) / (1+d)^(k+1),
  summed here as a plain series (no hypergeometric function), times the benefit factor.
"""
import json
import math
import os
import sys

import yaml


# ---------------------------------------------------------------- distributions

def _phi(x):
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _num(x):
    """PyYAML follows YAML 1.1, where 1.8e6 (no '.', no sign) is a string: convert."""
    if isinstance(x, str):
        return float(x)
    if isinstance(x, list):
        return [_num(v) for v in x]
    return x


def dist_mean(d):
    kind = d["dist"]
    d = {key: (_num(v) if key != "dist" else v) for key, v in d.items()}
    if kind == "uniform":
        return (d["min"] + d["max"]) / 2.0
    if kind == "triangular":
        return (d["min"] + d["mode"] + d["max"]) / 3.0
    if kind == "pert":
        lam = d.get("lambda", 4.0)
        return (d["min"] + lam * d["mode"] + d["max"]) / (lam + 2.0)
    if kind == "normal":
        mu, sd = d["mean"], d["sd"]
        if "min" not in d and "max" not in d:
            return mu
        a = (d["min"] - mu) / sd if "min" in d else -math.inf
        b = (d["max"] - mu) / sd if "max" in d else math.inf
        pa = _phi(a) if math.isfinite(a) else 0.0
        pb = _phi(b) if math.isfinite(b) else 0.0
        z = (_cdf(b) if math.isfinite(b) else 1.0) - (_cdf(a) if math.isfinite(a) else 0.0)
        return mu + sd * (pa - pb) / z
    if kind == "lognormal":
        return d["mean"]
    if kind == "beta":
        lo, hi = d.get("min", 0.0), d.get("max", 1.0)
        return lo + (hi - lo) * d["alpha"] / (d["alpha"] + d["beta"])
    if kind == "discrete":
        return sum(v * p for v, p in zip(d["values"], d["probs"]))
    raise ValueError("unknown distribution %r" % kind)


def value(x, default=None):
    """Deterministic value of a YAML input: a number, or a distribution's base/mean."""
    if x is None:
        return default
    if isinstance(x, dict):
        if "base" in x:
            return float(x["base"])
        return float(dist_mean(x))
    return float(x)


# ---------------------------------------------------------------- sBG

def sbg_retention(alpha, beta, age):
    return (beta + age) / (alpha + beta + age)


def sbg_fit(counts):
    """Maximum-likelihood sBG fit of a survival curve (Fader & Hardie 2007), by
    Nelder-Mead on (log alpha, log beta) followed by Newton steps on a numerical
    Hessian. Counts may be numbers of customers or fractions."""
    n = [float(c) for c in counts]

    def loglik(p):
        a, b = math.exp(p[0]), math.exp(p[1])
        s_prev, ll = 1.0, 0.0
        # P(T = t) = S(t-1) - S(t); S(t) = S(t-1) r(t-1)
        for t in range(1, len(n)):
            s = s_prev * sbg_retention(a, b, t - 1)
            ll += (n[t - 1] - n[t]) * math.log(s_prev - s)
            s_prev = s
        ll += n[-1] * math.log(s_prev)
        return ll

    f = lambda p: -loglik(p)
    simplex = [[0.0, 0.0], [0.5, 0.0], [0.0, 0.5]]
    vals = [f(p) for p in simplex]
    for _ in range(5000):
        order = sorted(range(3), key=lambda i: vals[i])
        simplex = [simplex[i] for i in order]
        vals = [vals[i] for i in order]
        if abs(vals[2] - vals[0]) < 1e-15 * (abs(vals[0]) + 1e-300):
            break
        c = [(simplex[0][k] + simplex[1][k]) / 2 for k in range(2)]
        xr = [c[k] + (c[k] - simplex[2][k]) for k in range(2)]
        fr = f(xr)
        if fr < vals[0]:
            xe = [c[k] + 2 * (c[k] - simplex[2][k]) for k in range(2)]
            fe = f(xe)
            simplex[2], vals[2] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < vals[1]:
            simplex[2], vals[2] = xr, fr
        else:
            xc = [c[k] + 0.5 * (simplex[2][k] - c[k]) for k in range(2)]
            fc = f(xc)
            if fc < vals[2]:
                simplex[2], vals[2] = xc, fc
            else:
                for i in (1, 2):
                    simplex[i] = [simplex[0][k] + 0.5 * (simplex[i][k] - simplex[0][k])
                                  for k in range(2)]
                    vals[i] = f(simplex[i])
    p = simplex[0]
    h = 1e-4
    for _ in range(20):  # Newton polish: gradient and Hessian by central differences
        g = [(f([p[0] + h, p[1]]) - f([p[0] - h, p[1]])) / (2 * h),
             (f([p[0], p[1] + h]) - f([p[0], p[1] - h])) / (2 * h)]
        f0 = f(p)
        haa = (f([p[0] + h, p[1]]) - 2 * f0 + f([p[0] - h, p[1]])) / h ** 2
        hbb = (f([p[0], p[1] + h]) - 2 * f0 + f([p[0], p[1] - h])) / h ** 2
        hab = (f([p[0] + h, p[1] + h]) - f([p[0] + h, p[1] - h]) -
               f([p[0] - h, p[1] + h]) + f([p[0] - h, p[1] - h])) / (4 * h * h)
        det = haa * hbb - hab * hab
        if det <= 0:
            break
        step = [(hbb * g[0] - hab * g[1]) / det, (haa * g[1] - hab * g[0]) / det]
        q = [p[0] - step[0], p[1] - step[1]]
        if f(q) > f0:
            break
        p = q
        if max(abs(step[0]), abs(step[1])) < 1e-13:
            break
    return math.exp(p[0]), math.exp(p[1])


def residual_value(alpha, beta, age, d):
    """sum_{k>=0} S(a+k)/S(a) / (1+d)^(k+1), summed until the tail bound
    term / (1 - x) drops below 1e-17 of the sum (term ratio < x = 1/(1+d))."""
    if d < 0:
        return math.inf
    if d == 0:
        return (alpha + beta + age - 1) / (alpha - 1) if alpha > 1 else math.inf
    x = 1.0 / (1.0 + d)
    total, term, k = 0.0, x, 0
    while True:
        total += term
        term *= sbg_retention(alpha, beta, age + k) * x
        k += 1
        if term < 1e-17 * (1 - x) * total:
            return total


# ---------------------------------------------------------------- scenario

def load(path, seen=None):
    with open(path) as fh:
        doc = yaml.safe_load(fh)
    base = os.path.dirname(os.path.abspath(path))
    for inc in doc.get("include", []) or []:
        sub = load(os.path.join(base, inc))
        for key in ("segments", "initiatives", "touchpoints"):
            if key in sub:
                doc.setdefault(key, [])
                doc[key] = list(doc[key]) + list(sub[key])
    return doc


class Segment:
    def __init__(self, y):
        self.id = y["id"]
        self.n0 = value(y["customers"])
        self.revenue = value(y["revenue_per_customer"])
        self.margin = value(y["margin"])
        self.cts = value(y.get("cost_to_serve"), 0.0)
        self.acq = value(y.get("acquisitions_per_year"), 0.0)
        self.m = self.revenue * self.margin - self.cts
        self.sbg = None
        self.tenure = 0
        if "retention" in y:
            self.r = value(y["retention"])
        elif "retention_curve" in y:
            rc = y["retention_curve"]
            self.sbg = (value(rc["sbg"]["alpha"]), value(rc["sbg"]["beta"]))
            self.tenure = int(rc.get("tenure", 0))
        else:
            self.sbg = sbg_fit(y["survival"])
            self.tenure = int(y.get("tenure", 0))


def ramp(t, start, ramp_years):
    if t <= start:
        return 0.0
    if ramp_years == 0:
        return 1.0
    return min(1.0, (t - start) / ramp_years)


def clamp01(x):
    return min(1.0, max(0.0, x))


def new_retention(r, g, eff):
    if g == 0:
        return r
    if eff.get("retention") is not None:
        return clamp01(r + eff["retention"] * g)
    if eff.get("churn") is not None:
        return clamp01(1.0 - (1.0 - r) * (1.0 + eff["churn"] * g))
    return r


def segment_run(seg, eff, H, start, ramp_years):
    """Returns (contribution per year t=1..H as a list of (N_{t-1}, m_t)), cohorts at H
    [(N_H, age)] for the segment with effects eff (None: baseline)."""
    cohorts = [[seg.n0, seg.tenure]]  # [size, renewals survived]
    rows = []
    for t in range(1, H + 1):
        g = ramp(t, start, ramp_years) if eff is not None else 0.0
        e = eff or {}
        rev = seg.revenue * (1 + e.get("revenue", 0.0) * g)
        cts = seg.cts * (1 + e.get("cost_to_serve", 0.0) * g)
        m_t = rev * seg.margin - cts
        n_prev = sum(c[0] for c in cohorts)
        rows.append(n_prev * m_t)
        for c in cohorts:
            r = seg.r if seg.sbg is None else sbg_retention(seg.sbg[0], seg.sbg[1], c[1])
            c[0] *= new_retention(r, g, e)
            c[1] += 1
        cohorts.append([seg.acq * (1 + e.get("acquisitions", 0.0) * g), 0])
    return rows, cohorts


def cohort_value(seg, age, d):
    if seg.sbg is None:
        return seg.m / (1.0 + d - seg.r)
    return seg.m * residual_value(seg.sbg[0], seg.sbg[1], age, d)


def initiative_flows(doc, segments, ini, d, k=1.0, bf=1.0, cf=1.0):
    H = int(doc["horizon"])
    start = int(ini.get("start", 0))
    ramp_years = int(ini.get("ramp_years", 0))
    benefits = [0.0] * (H + 1)
    tv = 0.0
    for sid, eff_y in (ini.get("effects") or {}).items():
        seg = segments[sid]
        eff = {key: k * value(v) for key, v in eff_y.items()}
        base_rows, base_coh = segment_run(seg, None, H, start, ramp_years)
        new_rows, new_coh = segment_run(seg, eff, H, start, ramp_years)
        for t in range(1, H + 1):
            benefits[t] += new_rows[t - 1] - base_rows[t - 1]
        if doc.get("terminal_value", "none") == "customer_equity":
            for (nb, age), (nn, _) in zip(base_coh, new_coh):
                if nn != nb:
                    tv += (nn - nb) * cohort_value(seg, age, d)
    direct = k * value((ini.get("benefits") or {}).get("annual"), 0.0)
    costs_y = ini.get("costs") or {}
    upfront = value(costs_y.get("upfront"), 0.0)
    annual = value(costs_y.get("annual"), 0.0)
    costs = [0.0] * (H + 1)
    for t in range(H + 1):
        benefits[t] = (benefits[t] + direct * ramp(t, start, ramp_years)) * bf
        if t == start:
            costs[t] = upfront * cf
        elif t > start:
            costs[t] = annual * cf
    flows = [b - c for b, c in zip(benefits, costs)]
    return benefits, costs, flows, tv * bf


# ---------------------------------------------------------------- finance

def npv_at(rate, cf):
    return sum(c / (1.0 + rate) ** t for t, c in enumerate(cf))


def irr(cf, ref):
    """All sign changes of NPV on a fine grid of rates in (-1, 1e6), bisected to the
    last bit; the root nearest the reference rate."""
    if not any(c > 0 for c in cf) or not any(c < 0 for c in cf):
        return None
    grid = [-1 + 10 ** (-e / 50.0) for e in range(600, 0, -1)]
    grid += [-1 + 1.0 + 0.001 * i for i in range(0, 2000)]  # -1 .. 1
    grid += [1.0 * 1.005 ** i for i in range(1, 3000)]
    def finite_npv(r):
        try:
            v = npv_at(r, cf)
        except (ZeroDivisionError, OverflowError):
            return None
        return v if math.isfinite(v) else None
    grid = [r for r in sorted(set(grid)) if finite_npv(r) is not None]
    roots = []
    prev_r, prev_v = grid[0], npv_at(grid[0], cf)
    for r in grid[1:]:
        v = npv_at(r, cf)
        if v == 0:
            roots.append(r)
        elif (prev_v < 0) != (v < 0) and prev_v != 0:
            lo, hi, flo = prev_r, r, prev_v
            for _ in range(200):
                mid = (lo + hi) / 2
                if mid in (lo, hi):
                    break
                fm = npv_at(mid, cf)
                if (fm < 0) == (flo < 0):
                    lo, flo = mid, fm
                else:
                    hi = mid
            roots.append((lo + hi) / 2)
        prev_r, prev_v = r, v
    if not roots:
        return None
    return min(roots, key=lambda x: abs(x - ref))


def mirr(cf, rate):
    n = len(cf) - 1
    fv = sum(c * (1 + rate) ** (n - t) for t, c in enumerate(cf) if c > 0)
    pv = sum(c / (1 + rate) ** t for t, c in enumerate(cf) if c < 0)
    if fv == 0 or pv == 0:
        return None
    return (fv / -pv) ** (1.0 / n) - 1


def payback(cf, rate):
    if all(c == 0 for c in cf):
        return None  # nothing to pay back
    cum, prev = [], 0.0
    for t, c in enumerate(cf):
        prev += c / (1 + rate) ** t
        cum.append(prev)
    if all(c >= 0 for c in cum):
        return 0.0
    first_neg = next(t for t, c in enumerate(cum) if c < 0)
    for t in range(first_neg + 1, len(cum)):
        if cum[t] >= 0:
            return (t - 1) + (-cum[t - 1]) / (cum[t] - cum[t - 1])
    return None


def metrics(benefits, costs, flows, tv, d):
    H = len(flows) - 1
    npv = npv_at(d, flows) + tv / (1 + d) ** H
    pvc = npv_at(d, costs)
    with_tv = list(flows)
    with_tv[H] += tv
    out = {
        "npv": npv,
        "pv_costs": pvc,
        "pv_benefits": npv + pvc,
        "roi": npv / pvc if pvc != 0 else None,
        "bcr": (npv + pvc) / pvc if pvc != 0 else None,
        "irr": irr(with_tv, d),
        "mirr": mirr(with_tv, d),
        "payback_years": payback(flows, 0.0),
        "discounted_payback_years": payback(flows, d),
        "terminal_value": tv,
        "cash_flows": flows,
        "benefits": benefits,
        "costs": costs,
    }
    return out


def break_even(doc, segments, ini, d):
    def f(k):
        b, c, fl, tv = initiative_flows(doc, segments, ini, d, k=k)
        return npv_at(d, fl) + tv / (1 + d) ** (len(fl) - 1)
    if f(0.0) >= 0:
        # No costs: the effects break even at once if they add value, else never.
        return 0.0 if f(1.0) > 0 else None
    lo, k = 0.0, 1.0
    while True:
        if f(k) >= 0:
            break
        lo = k
        if k >= 1e6:
            return None
        k = min(2 * k, 1e6)
    hi = k
    for _ in range(300):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if f(mid) >= 0:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def run(path):
    doc = load(path)
    d = value(doc["discount_rate"])
    segments = {y["id"]: Segment(y) for y in doc.get("segments", [])}
    result = {"scenario": os.path.basename(path), "initiatives": []}
    for ini in doc.get("initiatives", []):
        b, c, fl, tv = initiative_flows(doc, segments, ini, d)
        det = metrics(b, c, fl, tv, d)
        entry = {"id": ini["id"], "deterministic": det,
                 "break_even_effect_multiplier": break_even(doc, segments, ini, d)}
        ra = ini.get("risk_adjustment")
        if ra:
            rb, rc = value(ra.get("benefits"), 0.0), value(ra.get("costs"), 0.0)
            b, c, fl, tv = initiative_flows(doc, segments, ini, d, bf=1 - rb, cf=1 + rc)
            entry["risk_adjusted"] = metrics(b, c, fl, tv, d)
        result["initiatives"].append(entry)
    return result


def compare(got, want, tol, where="", errors=None):
    """Relative comparison of every number of want (absolute below 1e-6 of scale)."""
    if errors is None:
        errors = []
    if isinstance(want, dict):
        for key, w in want.items():
            if key in ("note", "scenario"):
                continue
            if key not in got:
                errors.append("%s.%s: missing" % (where, key))
            else:
                compare(got[key], w, tol, where + "." + key, errors)
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            errors.append("%s: length differs" % where)
        else:
            scale = max([abs(x) for x in want if isinstance(x, (int, float))] or [1.0])
            for i, (g, w) in enumerate(zip(got, want)):
                if isinstance(w, (int, float)) and isinstance(g, (int, float)):
                    if abs(g - w) > tol * max(abs(w), 1e-6 * scale):
                        errors.append("%s[%d]: got %r want %r" % (where, i, g, w))
                else:
                    compare(g, w, tol, "%s[%d]" % (where, i), errors)
    elif want is None or got is None:
        if want is not got:
            errors.append("%s: got %r want %r" % (where, got, want))
    elif isinstance(want, str):
        if got != want:
            errors.append("%s: got %r want %r" % (where, got, want))
    elif abs(got - want) > tol * abs(want):
        errors.append("%s: got %r want %r" % (where, got, want))
    return errors


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    result = run(argv[1])
    if "--check" in argv:
        expected = json.load(open(argv[argv.index("--check") + 1]))
        tol = float(argv[argv.index("--tol") + 1]) if "--tol" in argv else 1e-9
        errors = compare(result, expected, tol)
        for e in errors:
            print(e)
        print("%s: %s" % (argv[1], "OK" if not errors else "%d mismatches" % len(errors)))
        return 1 if errors else 0
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
