#!/usr/bin/env python3
"""An independent, vectorised NumPy implementation of SPEC.md's Monte Carlo model.

The benchmark's peer: what a competent analyst would write in NumPy to simulate a
cxroi scenario, so `bench/run` can compare cxroi's speed with it. No Python loop runs
over iterations: every uncertain input is drawn as an array of a chunk of iterations
(numpy.random.Generator, PCG64), and the model (years, segments, cohorts, initiatives)
is evaluated on whole arrays. Chunks (100,000 iterations by default) bound the memory.

Implements: constant and sBG segments (cohorts by age, tenure), retention / churn /
revenue / cost-to-serve / acquisition effects with delay and ramp, direct benefits,
upfront and annual costs, customer-equity terminal value (closed-form constant case,
sBG discounted expected residual lifetime summed as its hypergeometric series), NPV
and PV costs per initiative and iteration; then mean, sd, P5..P95 and P(NPV > 0) of
NPV and ROI. Not implemented (the benchmark scenario uses none): correlations,
`survival:` fits, risk adjustment, portfolio, tornado and rank correlations.

Usage:
  numpy_peer.py SCENARIO [-n N] [--seed S] [--chunk C] [--json FILE|-]
  numpy_peer.py SCENARIO --deterministic [--json FILE|-]   every input at its base value
  numpy_peer.py SCENARIO -n N --draw-only                   only draw the inputs (timing)
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import yaml


# ---- scenario ------------------------------------------------------------------------

def number(x, where):
    """A YAML scalar as a float. PyYAML (YAML 1.1) reads `1.8e6` (no dot or sign in the
    exponent) as a string, so strings are converted too."""
    if isinstance(x, bool):
        raise ValueError(f"{where}: expected a number, found {x!r}")
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        return float(x)
    raise ValueError(f"{where}: expected a number, found {x!r}")


class Dist:
    """One model input: a fixed number or a distribution of SPEC.md."""

    def __init__(self, node, path):
        self.path = path
        if not isinstance(node, dict):
            self.kind = "fixed"
            self.value = number(node, path)
            return
        self.kind = node["dist"]
        g = lambda k, default=None: number(node[k], f"{path}.{k}") if k in node else default
        self.min, self.max, self.mode = g("min"), g("max"), g("mode")
        self.lam = g("lambda", 4.0)
        self.mean_, self.sd = g("mean"), g("sd")
        self.alpha, self.beta = g("alpha"), g("beta")
        self.base = g("base")
        if self.kind == "discrete":
            self.values = np.array([number(v, path) for v in node["values"]])
            self.probs = np.array([number(p, path) for p in node["probs"]])
            self.probs = self.probs / self.probs.sum()
        if self.kind not in ("uniform", "triangular", "pert", "normal", "lognormal", "beta", "discrete"):
            raise ValueError(f"{path}: unknown distribution {self.kind!r}")

    @property
    def uncertain(self):
        return self.kind != "fixed"

    def pert_shape(self):
        w = self.max - self.min
        return 1 + self.lam * (self.mode - self.min) / w, 1 + self.lam * (self.max - self.mode) / w

    def lognormal_log_params(self):
        # sigma^2 = ln(1 + s^2/m^2), mu = ln m - sigma^2/2
        s2 = math.log1p((self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - s2 / 2, math.sqrt(s2)

    def mean(self):
        k = self.kind
        if k == "fixed":
            return self.value
        if k == "uniform":
            return (self.min + self.max) / 2
        if k == "triangular":
            return (self.min + self.mode + self.max) / 3
        if k == "pert":
            return (self.min + self.lam * self.mode + self.max) / (self.lam + 2)
        if k == "normal":
            if self.min is None and self.max is None:
                return self.mean_
            # Truncated normal: mu + sd (phi(a) - phi(b)) / (Phi(b) - Phi(a))
            a = -math.inf if self.min is None else (self.min - self.mean_) / self.sd
            b = math.inf if self.max is None else (self.max - self.mean_) / self.sd
            phi = lambda z: 0.0 if math.isinf(z) else math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
            # Phi(b) - Phi(a) from the side with less cancellation
            if a > 0:
                mass = (math.erfc(a / math.sqrt(2)) - math.erfc(b / math.sqrt(2))) / 2
            else:
                mass = (math.erfc(-b / math.sqrt(2)) - math.erfc(-a / math.sqrt(2))) / 2
            return self.mean_ + self.sd * (phi(a) - phi(b)) / mass
        if k == "lognormal":
            return self.mean_
        if k == "beta":
            lo = 0.0 if self.min is None else self.min
            hi = 1.0 if self.max is None else self.max
            return lo + (hi - lo) * self.alpha / (self.alpha + self.beta)
        if k == "discrete":
            return float(np.dot(self.values, self.probs))
        raise AssertionError(k)

    def base_value(self):
        if self.kind != "fixed" and self.base is not None:
            return self.base
        return self.mean()

    def sample(self, rng, n):
        k = self.kind
        if k == "uniform":
            return rng.uniform(self.min, self.max, n)
        if k == "triangular":
            return rng.triangular(self.min, self.mode, self.max, n)
        if k == "pert":
            a, b = self.pert_shape()
            return self.min + (self.max - self.min) * rng.beta(a, b, n)
        if k == "normal":
            x = rng.normal(self.mean_, self.sd, n)
            lo = -np.inf if self.min is None else self.min
            hi = np.inf if self.max is None else self.max
            bad = (x < lo) | (x > hi)
            while bad.any():  # truncation by resampling the rejected draws
                x[bad] = rng.normal(self.mean_, self.sd, int(bad.sum()))
                bad = (x < lo) | (x > hi)
            return x
        if k == "lognormal":
            mu, sigma = self.lognormal_log_params()
            return rng.lognormal(mu, sigma, n)
        if k == "beta":
            lo = 0.0 if self.min is None else self.min
            hi = 1.0 if self.max is None else self.max
            return lo + (hi - lo) * rng.beta(self.alpha, self.beta, n)
        if k == "discrete":
            return rng.choice(self.values, size=n, p=self.probs)
        raise AssertionError(k)


def load(path):
    """The scenario as plain structures, `include`s merged, every input a Dist."""
    with open(path, encoding="utf-8") as fh:
        top = yaml.safe_load(fh)
    segments, initiatives = list(top.get("segments") or []), list(top.get("initiatives") or [])
    base_dir = os.path.dirname(os.path.abspath(path))
    for inc in top.get("include") or []:
        sub_path = os.path.join(base_dir, inc)
        with open(sub_path, encoding="utf-8") as fh:
            sub = yaml.safe_load(fh) or {}
        segments += sub.get("segments") or []
        initiatives += sub.get("initiatives") or []
    sc = {
        "horizon": int(top["horizon"]),
        "rate": Dist(top["discount_rate"], "discount_rate"),
        "equity": top.get("terminal_value", "none") == "customer_equity",
        "simulation": top.get("simulation") or {},
        "segments": [],
        "initiatives": [],
    }
    seg_index = {}
    for s in segments:
        p = f"segments.{s['id']}"
        seg = {
            "id": s["id"],
            "customers": Dist(s["customers"], p + ".customers"),
            "revenue": Dist(s["revenue_per_customer"], p + ".revenue_per_customer"),
            "margin": Dist(s["margin"], p + ".margin"),
            "cts": Dist(s.get("cost_to_serve", 0), p + ".cost_to_serve"),
            "acq": Dist(s.get("acquisitions_per_year", 0), p + ".acquisitions_per_year"),
        }
        if "retention" in s:
            seg["sbg"] = False
            seg["retention"] = Dist(s["retention"], p + ".retention")
        elif "retention_curve" in s:
            curve = s["retention_curve"]
            seg["sbg"] = True
            seg["alpha"] = Dist(curve["sbg"]["alpha"], p + ".retention_curve.sbg.alpha")
            seg["beta"] = Dist(curve["sbg"]["beta"], p + ".retention_curve.sbg.beta")
            seg["tenure"] = int(curve.get("tenure", 0))
        else:
            raise ValueError(f"{p}: only `retention` and `retention_curve` are implemented")
        seg_index[s["id"]] = len(sc["segments"])
        sc["segments"].append(seg)
    for i in initiatives:
        p = f"initiatives.{i['id']}"
        costs = i.get("costs") or {}
        ini = {
            "id": i["id"],
            "start": int(i.get("start", 0)),
            "ramp": int(i.get("ramp_years", 0)),
            "upfront": Dist(costs.get("upfront", 0), p + ".costs.upfront"),
            "annual": Dist(costs.get("annual", 0), p + ".costs.annual"),
            "direct": Dist((i.get("benefits") or {}).get("annual", 0), p + ".benefits.annual"),
            "effects": [],
        }
        for sid, e in (i.get("effects") or {}).items():
            q = f"{p}.effects.{sid}"
            eff = {"segment": seg_index[sid]}
            for key in ("retention", "churn", "revenue", "cost_to_serve", "acquisitions"):
                eff[key] = Dist(e[key], f"{q}.{key}") if key in e else None
            ini["effects"].append(eff)
        sc["initiatives"].append(ini)
    return sc


def all_dists(sc):
    """Every input, in a fixed order (the order of drawing)."""
    out = [sc["rate"]]
    for s in sc["segments"]:
        out += [s["customers"], s["revenue"], s["margin"], s["cts"], s["acq"]]
        out += [s["alpha"], s["beta"]] if s["sbg"] else [s["retention"]]
    for i in sc["initiatives"]:
        out += [i["upfront"], i["annual"], i["direct"]]
        for e in i["effects"]:
            out += [d for d in (e["retention"], e["churn"], e["revenue"], e["cost_to_serve"], e["acquisitions"]) if d]
    return out


# ---- model ---------------------------------------------------------------------------

def sbg_residual_value(alpha, beta, age, rate):
    """V(a) = sum_k [S(a+k)/S(a)] x^(k+1), x = 1/(1+d), summed term by term:
    term_0 = 1, term_{k+1} = term_k (beta+a+k)/(alpha+beta+a+k) x. The ratio stays below
    x, so the tail after a term t is below t/(1-x): stop when that is 1e-17 of the sum.
    Vectorised over whatever shape alpha/beta/age broadcast to."""
    x = 1.0 / (1.0 + rate)
    b = beta + age
    c = alpha + beta + age
    total = np.zeros(np.broadcast(b, c, x).shape)
    term = np.ones_like(total)
    k = 0.0
    while True:
        total = total + term
        term = term * (b + k) / (c + k) * x
        k += 1.0
        if np.all(term <= 1e-17 * (1.0 - x) * total):
            break
    return x * total


def ramp(ini, t):
    if t <= ini["start"]:
        return 0.0
    if ini["ramp"] <= 0:
        return 1.0
    return min(1.0, (t - ini["start"]) / ini["ramp"])


def baseline(sc, v, n_it):
    """The customer base without any initiative: per segment N_t (t = 0..H) and, with
    customer equity, the value at H of one customer of each cohort."""
    H = sc["horizon"]
    d = v[id(sc["rate"])]
    out = []
    for s in sc["segments"]:
        b = {"m": v[id(s["revenue"])] * v[id(s["margin"])] - v[id(s["cts"])]}
        for k in ("customers", "revenue", "margin", "cts", "acq"):
            b[k] = v[id(s[k])]
        n = [np.broadcast_to(b["customers"], (n_it,)).astype(float)]
        if not s["sbg"]:
            r = v[id(s["retention"])]
            b["r"] = r
            for t in range(1, H + 1):
                n.append(n[-1] * r + b["acq"])
            if sc["equity"]:
                den = 1.0 + d - r
                b["value_h"] = np.where(den > 0, b["m"] / np.where(den > 0, den, 1.0), np.inf)
        else:
            alpha, beta, tenure = v[id(s["alpha"])], v[id(s["beta"])], s["tenure"]
            # Retention of the base in year t (age tenure + t - 1) and of a cohort of age a:
            # r(a) = (beta + a) / (alpha + beta + a); rows: t or a, columns: iterations.
            ages = np.arange(H, dtype=float)[:, None]
            b["r_base"] = (beta + tenure + ages) / (alpha + beta + tenure + ages)  # row t-1
            b["r_age"] = (beta + ages) / (alpha + beta + ages)                    # row a
            # Cohorts as rows: row 0 the existing base, row j the acquisitions of year j.
            c = np.zeros((H + 1, n_it))
            c[0] = n[0]
            for t in range(1, H + 1):
                c[0] *= b["r_base"][t - 1]
                if t > 1:  # cohort j (1..t-1) has age t-1-j during year t
                    c[1:t] *= b["r_age"][t - 2::-1][: t - 1]
                c[t] = b["acq"]
                n.append(c[: t + 1].sum(axis=0))
            b["n_h"] = c
            if sc["equity"]:
                # Base cohort: age tenure + H; cohort j: age H - j.
                cohort_age = np.array([tenure + H] + [H - j for j in range(1, H + 1)], dtype=float)[:, None]
                b["value_h"] = b["m"] * sbg_residual_value(alpha, beta, cohort_age, d)
        b["n"] = n
        out.append(b)
    return out


def retention_with(has_ret, has_churn, d_ret, d_churn, r, g):
    if g == 0.0 or not (has_ret or has_churn):
        return r
    x = r + d_ret * g if has_ret else 1.0 - (1.0 - r) * (1.0 + d_churn * g)
    return np.clip(x, 0.0, 1.0)


def initiative_npv(sc, v, base, ini, n_it):
    """NPV and PV costs of one initiative for every iteration of the chunk."""
    H = sc["horizon"]
    benefits = np.zeros((H + 1, n_it))
    tv = np.zeros(n_it)
    val = lambda dist: 0.0 if dist is None else v[id(dist)]
    for e in ini["effects"]:
        s, b = sc["segments"][e["segment"]], base[e["segment"]]
        d_ret, d_churn = val(e["retention"]), val(e["churn"])
        d_rev, d_cts, d_acq = val(e["revenue"]), val(e["cost_to_serve"]), val(e["acquisitions"])
        has_ret, has_churn = e["retention"] is not None, e["churn"] is not None
        n = b["n"]
        if not s["sbg"]:
            npr = n[0]
            for t in range(1, H + 1):
                g = ramp(ini, t)
                m_new = b["revenue"] * (1.0 + d_rev * g) * b["margin"] - b["cts"] * (1.0 + d_cts * g)
                benefits[t] += npr * m_new - n[t - 1] * b["m"]
                npr = npr * retention_with(has_ret, has_churn, d_ret, d_churn, b["r"], g) + b["acq"] * (1.0 + d_acq * g)
            if sc["equity"]:
                tv += (npr - n[H]) * b["value_h"]
        else:
            c = np.zeros((H + 1, n_it))
            c[0] = n[0]
            total = n[0]
            for t in range(1, H + 1):
                g = ramp(ini, t)
                m_new = b["revenue"] * (1.0 + d_rev * g) * b["margin"] - b["cts"] * (1.0 + d_cts * g)
                benefits[t] += total * m_new - n[t - 1] * b["m"]
                c[0] *= retention_with(has_ret, has_churn, d_ret, d_churn, b["r_base"][t - 1], g)
                if t > 1:
                    c[1:t] *= retention_with(has_ret, has_churn, d_ret, d_churn, b["r_age"][t - 2::-1][: t - 1], g)
                c[t] = b["acq"] * (1.0 + d_acq * g)
                total = c[: t + 1].sum(axis=0)
            if sc["equity"]:
                tv += ((c - b["n_h"]) * b["value_h"]).sum(axis=0)
    direct, upfront, annual = val(ini["direct"]), val(ini["upfront"]), val(ini["annual"])
    d = v[id(sc["rate"])]
    # NPV = sum_t (B_t - C_t)/(1+d)^t + TV/(1+d)^H, running discount factor.
    x = 1.0 / (1.0 + d)
    f = 1.0
    npv = np.zeros(n_it)
    pvc = np.zeros(n_it)
    for t in range(H + 1):
        g = ramp(ini, t)
        if g != 0.0:
            benefits[t] += direct * g
        cost = upfront if t == ini["start"] else (annual if t > ini["start"] else 0.0)
        npv += (benefits[t] - cost) * f
        pvc += cost * f
        if t < H:
            f = f * x
    npv += tv * f
    return npv, pvc


def evaluate(sc, v, n_it):
    base = baseline(sc, v, n_it)
    return [initiative_npv(sc, v, base, ini, n_it) for ini in sc["initiatives"]]


# ---- statistics and driver ----------------------------------------------------------

def summary(x):
    p = np.percentile(x, [5, 10, 50, 90, 95])  # linear interpolation = PERCENTILE.INC
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if x.size > 1 else 0.0
    return {"mean": mean, "sd": sd, "p5": p[0], "p10": p[1], "p50": p[2], "p90": p[3],
            "p95": p[4], "stderr_mean": sd / math.sqrt(x.size)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("-n", "--iterations", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--chunk", type=int, default=100_000)
    ap.add_argument("--deterministic", action="store_true")
    ap.add_argument("--draw-only", action="store_true",
                    help="only draw the uncertain inputs (the NumPy counterpart of cxroi_bench_sim draw)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    t0 = time.perf_counter()
    sc = load(args.scenario)
    dists = all_dists(sc)
    ids = [ini["id"] for ini in sc["initiatives"]]
    if args.deterministic:
        v = {id(d): np.full(1, d.base_value()) for d in dists}
        res = evaluate(sc, v, 1)
        out = {"initiatives": [{"id": i, "npv": float(npv[0]), "pv_costs": float(pvc[0])}
                               for i, (npv, pvc) in zip(ids, res)]}
    else:
        n = args.iterations or int(sc["simulation"].get("iterations", 10000))
        seed = args.seed if args.seed is not None else int(sc["simulation"].get("seed", 1))
        rng = np.random.Generator(np.random.PCG64(seed))
        npv_all = np.empty((len(ids), n))
        pvc_all = np.empty((len(ids), n))
        for lo in range(0, n, args.chunk):
            m = min(args.chunk, n - lo)
            # One draw per uncertain input per iteration; fixed inputs stay scalars.
            v = {id(d): (d.sample(rng, m) if d.uncertain else d.value) for d in dists}
            if args.draw_only:
                continue
            for i, (npv, pvc) in enumerate(evaluate(sc, v, m)):
                npv_all[i, lo:lo + m] = npv
                pvc_all[i, lo:lo + m] = pvc
        out = {"iterations": n, "seed": seed, "initiatives": []}
        for i, ident in enumerate([] if args.draw_only else ids):
            npv, pvc = npv_all[i], pvc_all[i]
            r = {"id": ident, "npv": summary(npv), "prob_npv_positive": float((npv > 0).mean())}
            if np.all(pvc > 0):
                r["roi"] = summary(npv / pvc)
            out["initiatives"].append(r)
    out["seconds"] = time.perf_counter() - t0
    text = json.dumps(out, indent=1, default=float)
    if args.json in (None, "-"):
        print(text)
    else:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
