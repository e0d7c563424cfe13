#!/usr/bin/env python3
"""End-to-end check of the Excel report with LibreOffice (ctest: test_xlsx_libreoffice).

For every scenario given:
  1. `cxroi run SCENARIO -o X.xlsx` writes the report, with cxroi's value cached in every
     formula cell;
  2. a copy is made in which every cached formula value is POISONED (numbers replaced by
     a value no formula gives, texts by "POISON");
  3. LibreOffice (headless) opens the poisoned copy with "recalculate on load: always"
     (OOXMLRecalcMode = 0 in a private user profile) and saves it as xlsx again;
  4. every formula cell of the original must equal LibreOffice's recalculated value to
     1e-9 relative, and no formula may give an error.
Poisoning is what makes the check honest: LibreOffice normally trusts the cached values
of a file that says it comes from Excel, and a comparison of those with themselves would
prove nothing. A poisoned value that survives means the recalculation was not forced.

It also checks the workbook's structure (SPEC.md's seven sheets in their order, with the
Retention sheet after Value matrix; at least four charts and one retention chart per
segment; conditional formatting on the value matrix; the deterministic NPVs as live
formulas; every retention rate of the JSON's segments[].retention_curve shown on the
Retention sheet) and renders the reports of the examples to PDF and PNG (pdftoppm) for a
person to look at.

Besides the scenarios given, it checks (and prints) one of its own, RETENTION_SCENARIO,
that holds every retention model at once: constant, sBG with a tenure, an sBG fitted to a
survival curve and a survival curve that reduces to constant retention.

Usage: xlsx_check.py CXROI_EXE OUT_DIR [--pdf SCENARIO ...] -- SCENARIO ...
Only the Python standard library is used.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Relative tolerance of the comparison: the 1e-9. The two sides differ only by
# rounding (summation order, pow against a running product, LibreOffice printing 15
# significant digits), about 1e-13 relatively on these scenarios; an absolute floor of
# 1e-9 (a billionth of a currency unit) covers values that are 0 up to rounding.
RTOL = 1e-9
ATOL = 1e-9
POISON_NUMBER = "-987654.3210987"
POISON_TEXT = "POISON"
SHEETS = ["Summary", "Assumptions", "Cash flows", "Simulation", "Sensitivity",
          "Value matrix", "Retention", "Portfolio"]
# The JSON's retention rates against the Retention sheet's cached values: both are the
# engine's doubles, written with 17 significant digits (libxlsxwriter's %.16g loses at most
# one unit in the 16th digit), so 1e-14 relative.
RET_RTOL = 1e-14
RETENTION_SCENARIO = """\
cxroi: 1
name: Retention models side by side
currency: EUR
horizon: 7
discount_rate: 0.0735
terminal_value: customer_equity
segments:
  - {id: mass, name: Mass retail, customers: 120000, revenue_per_customer: 310,
     margin: 0.35, cost_to_serve: 40, retention: 0.82, acquisitions_per_year: 15000}
  - {id: affluent, name: Affluent, customers: 9000, revenue_per_customer: 1900,
     margin: 0.42, retention_curve: {sbg: {alpha: 0.704, beta: 1.182}, tenure: 3},
     acquisitions_per_year: 1200}
  - {id: smb, name: Small business, customers: 4000, revenue_per_customer: 2600,
     margin: 0.3, survival: [1000, 869, 743, 653, 593, 551, 517, 491],
     acquisitions_per_year: 350}
  - {id: flat, name: Flat-rate plan, customers: 2500, revenue_per_customer: 800,
     margin: 0.25, survival: [1000, 800, 640, 512, 409.6]}
initiatives:
  - id: onboarding
    name: Digital onboarding revamp
    ramp_years: 2
    costs: {upfront: {dist: pert, min: 1.8e6, mode: 2.0e6, max: 2.8e6}, annual: 350e3}
    effects:
      mass: {retention: {dist: pert, min: 0.005, mode: 0.015, max: 0.03}, revenue: 0.02}
      affluent: {churn: -0.10}
      smb: {churn: -0.0735}
  - id: app
    name: Mobile app
    start: 1
    costs: {upfront: 900e3}
    effects:
      smb: {acquisitions: 0.12}
      affluent: {retention: 0.0135}
"""
RECALC_ITEM = ('<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
               '<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>\n')


def sheet_files(zf):
    """{sheet name: part name} from workbook.xml and its relationships, in tab order."""
    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels.iter(REL_NS + "Relationship")}
    out = {}
    for s in wb.iter("{%s}sheet" % NS["m"]):
        rid = s.get("{%s}id" % NS["r"])
        t = target[rid].lstrip("/")
        out[s.get("name")] = t if t.startswith("xl/") else "xl/" + t
    return out


def sheet_charts(zf, part):
    """Number of charts anchored on one sheet part (through its drawing)."""
    rels_part = os.path.join(os.path.dirname(part), "_rels", os.path.basename(part) + ".rels")
    if rels_part not in zf.namelist():
        return 0
    n = 0
    for r in ET.fromstring(zf.read(rels_part)).iter(REL_NS + "Relationship"):
        if not r.get("Type", "").endswith("/drawing"):
            continue
        drawing = os.path.normpath(os.path.join(os.path.dirname(part), r.get("Target")))
        n += zf.read(drawing).decode("utf-8").count("<c:chart ")
    return n


def formula_cells(zf, part):
    """{cell: (type, cached text, formula)} of the formula cells of one sheet part."""
    root = ET.fromstring(zf.read(part))
    cells = {}
    for c in root.iter("{%s}c" % NS["m"]):
        f = c.find("m:f", NS)
        if f is None:
            continue
        v = c.find("m:v", NS)
        text = v.text if v is not None and v.text is not None else ""
        cells[c.get("r")] = (c.get("t", "n"), text, f.text or "")
    return cells


def poison(src, dst):
    """Copy src to dst with every cached formula value replaced."""
    cell = re.compile(r'(<c r="[A-Z]+[0-9]+"[^>]*?>)(<f>.*?</f>)<v>(.*?)</v>(</c>)', re.S)

    def repl(m):
        is_text = ' t="str"' in m.group(1)
        return "%s%s<v>%s</v>%s" % (m.group(1), m.group(2),
                                    POISON_TEXT if is_text else POISON_NUMBER, m.group(4))

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = cell.sub(repl, data.decode("utf-8")).encode("utf-8")
            zout.writestr(item, data)


def make_profile(soffice, where):
    """A LibreOffice user profile that recalculates every xlsx on load. The profile is
    created by a first start (which rewrites registrymodifications.xcu), then the setting
    is added."""
    url = "file://" + where
    subprocess.run([soffice, "-env:UserInstallation=" + url, "--headless",
                    "--terminate_after_init"], capture_output=True, timeout=300)
    reg = os.path.join(where, "user", "registrymodifications.xcu")
    if not os.path.exists(reg):
        raise SystemExit("FAIL: LibreOffice did not create its profile in %s" % where)
    text = open(reg, encoding="utf-8").read()
    if "OOXMLRecalcMode" not in text:
        text = text.replace("</oor:items>", RECALC_ITEM + "</oor:items>")
        open(reg, "w", encoding="utf-8").write(text)
    return url


def convert(soffice, profile, fmt, files, outdir):
    os.makedirs(outdir, exist_ok=True)
    out = subprocess.run([soffice, "-env:UserInstallation=" + profile, "--headless",
                          "--convert-to", fmt, "--outdir", outdir] + files,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit("FAIL: soffice --convert-to %s exited %d: %s" %
                         (fmt, out.returncode, out.stderr))


def close(a, b):
    return abs(a - b) <= RTOL * max(abs(a), abs(b)) + ATOL


def check_structure(path, results, problems):
    with zipfile.ZipFile(path) as zf:
        names = sheet_files(zf)
        for s in SHEETS:
            if s not in names:
                problems.append("sheet '%s' missing" % s)
        order = [n for n in names if n in SHEETS]
        if order != [s for s in SHEETS if s in names]:
            problems.append("sheets in the order %s, expected %s" % (order, SHEETS))
        if "Retention" in names:
            check_retention(zf, names["Retention"], results, problems)
        charts = [n for n in zf.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n)]
        if len(charts) < 4:
            problems.append("%d charts, expected at least 4" % len(charts))
        if "Value matrix" in names:
            vm = zf.read(names["Value matrix"]).decode("utf-8")
            if "<conditionalFormatting" not in vm or "colorScale" not in vm:
                problems.append("no colour-scale conditional formatting on Value matrix")
        if "Cash flows" in names:
            cash = formula_cells(zf, names["Cash flows"])
            if not any(f.startswith("SUM(") for _, _, f in cash.values()):
                problems.append("no NPV formula on Cash flows")
            if not any("discount_rate" in f for _, _, f in cash.values()):
                problems.append("Cash flows does not use the named discount rate")
        props = zf.read("docProps/core.xml").decode("utf-8")
        if "<dc:title>" not in props or "<dc:subject>" not in props:
            problems.append("document title or subject missing")
        custom = zf.read("docProps/custom.xml").decode("utf-8") \
            if "docProps/custom.xml" in zf.namelist() else ""
        if "cxroi version" not in custom:
            problems.append("custom property 'cxroi version' missing")


def check_retention(zf, part, results, problems):
    """One chart per segment, and every retention rate of the JSON among the sheet's
    cached formula values."""
    segments = results.get("segments", [])
    charts = sheet_charts(zf, part)
    if charts != len(segments):
        problems.append("Retention: %d charts for %d segments" % (charts, len(segments)))
    cached = []
    for t, v, _ in formula_cells(zf, part).values():
        if t != "str" and v:
            cached.append(float(v))
    cached.sort()
    missing = 0
    for seg in segments:
        curve = seg.get("retention_curve", {})
        series = [curve.get("baseline", [])] + \
            [w.get("retention", []) for w in curve.get("with_initiatives", [])]
        for values in series:
            for want in values:
                if want is None:
                    continue
                if not any(abs(c - want) <= RET_RTOL * abs(want) + 1e-300 for c in cached):
                    missing += 1
                    if missing <= 5:
                        problems.append("Retention: segment %s's rate %.17g not on the sheet"
                                        % (seg.get("id"), want))
    if missing > 5:
        problems.append("Retention: %d rates of the JSON not on the sheet" % missing)


def compare(original, recalculated, problems):
    n = 0
    with zipfile.ZipFile(original) as zo, zipfile.ZipFile(recalculated) as zr:
        so, sr = sheet_files(zo), sheet_files(zr)
        for sheet, part in so.items():
            want = formula_cells(zo, part)
            if sheet not in sr:
                problems.append("LibreOffice lost sheet '%s'" % sheet)
                continue
            got = formula_cells(zr, sr[sheet])
            for ref, (t, cached, formula) in want.items():
                n += 1
                if ref not in got:
                    problems.append("%s!%s: formula lost (=%s)" % (sheet, ref, formula))
                    continue
                gt, gv, _ = got[ref]
                where = "%s!%s =%s" % (sheet, ref, formula[:160])
                if gt == "e":
                    problems.append("%s: formula error %s (cxroi: %s)" % (where, gv, cached))
                elif gv in (POISON_NUMBER, POISON_TEXT) or gv.startswith("-987654.321"):
                    problems.append("%s: not recalculated (poisoned value kept)" % where)
                elif t == "str":
                    if gt not in ("str", "s", "inlineStr") or gv != cached:
                        # An empty text result may come back as no value at all.
                        if not (cached == "" and gv == ""):
                            problems.append("%s: LibreOffice gives %r, cxroi cached %r" %
                                            (where, gv, cached))
                else:
                    try:
                        a, b = float(cached), float(gv)
                    except ValueError:
                        problems.append("%s: LibreOffice gives %r, cxroi cached %r" %
                                        (where, gv, cached))
                        continue
                    if not close(a, b):
                        problems.append("%s: LibreOffice gives %.17g, cxroi cached %.17g "
                                        "(relative difference %.3g)" %
                                        (where, b, a, abs(a - b) / max(abs(a), abs(b))))
    return n


def main(argv):
    if len(argv) < 4 or "--" not in argv:
        print(__doc__)
        return 2
    exe, out_dir = argv[1], os.path.abspath(argv[2])
    sep = argv.index("--")
    opts, scenarios = argv[3:sep], [os.path.abspath(p) for p in argv[sep + 1:]]
    pdf_for = set()
    i = 0
    while i < len(opts):
        if opts[i] == "--pdf":
            pdf_for.add(os.path.abspath(opts[i + 1]))
            i += 2
        else:
            print("unknown option %s" % opts[i])
            return 2
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        print("FAIL: soffice not found: run scripts/install-deps (libreoffice-calc-nogui)")
        return 1
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    own = os.path.join(out_dir, "retention-models.yaml")
    with open(own, "w", encoding="utf-8") as f:
        f.write(RETENTION_SCENARIO)
    scenarios.append(own)
    pdf_for.add(own)
    work = os.path.join(out_dir, "reports")
    os.makedirs(work)
    reports, poisoned, failed = [], [], 0
    for k, path in enumerate(scenarios):
        stem = "%02d-%s" % (k, os.path.splitext(os.path.basename(path))[0])
        report = os.path.join(work, stem + ".xlsx")
        results = os.path.join(work, stem + ".json")
        run = subprocess.run([exe, "run", path, "-o", report, "--json", results, "-q",
                              "-n", "2000"], capture_output=True, text=True, cwd=work)
        if run.returncode != 0:
            print("FAIL %s: cxroi exited %d: %s" % (path, run.returncode, run.stderr.strip()))
            failed += 1
            continue
        bad = os.path.join(out_dir, "poisoned", stem + ".xlsx")
        os.makedirs(os.path.dirname(bad), exist_ok=True)
        poison(report, bad)
        reports.append((path, report, stem))
        poisoned.append(bad)
    profile_dir = tempfile.mkdtemp(prefix="cxroi-lo-profile-")
    try:
        profile = make_profile(soffice, profile_dir)
        recalc_dir = os.path.join(out_dir, "recalculated")
        if poisoned:
            convert(soffice, profile, "xlsx", poisoned, recalc_dir)
        pdfs = [r for (p, r, _) in reports if os.path.abspath(p) in pdf_for]
        if pdfs:
            convert(soffice, profile, "pdf", pdfs, os.path.join(out_dir, "pdf"))
    finally:
        shutil.rmtree(profile_dir, ignore_errors=True)
    for path, report, stem in reports:
        problems = []
        with open(os.path.join(work, stem + ".json"), encoding="utf-8") as f:
            check_structure(report, json.load(f), problems)
        recalc = os.path.join(recalc_dir, stem + ".xlsx")
        n = 0
        if not os.path.exists(recalc):
            problems.append("LibreOffice wrote no recalculated copy")
        else:
            n = compare(report, recalc, problems)
        if os.path.abspath(path) in pdf_for:
            pdf = os.path.join(out_dir, "pdf", stem + ".pdf")
            if not os.path.exists(pdf) or os.path.getsize(pdf) < 1000:
                problems.append("no PDF print-out")
            elif shutil.which("pdftoppm"):
                png = os.path.join(out_dir, "png", stem)
                os.makedirs(os.path.dirname(png), exist_ok=True)
                r = subprocess.run(["pdftoppm", "-r", "60", "-png", pdf, png],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    problems.append("pdftoppm failed: %s" % r.stderr.strip())
            else:
                problems.append("pdftoppm not found (poppler-utils)")
        if problems:
            failed += 1
            print("FAIL %s: %d problem(s) in %d formula cells" % (path, len(problems), n))
            for p in problems[:40]:
                print("  " + p)
            if len(problems) > 40:
                print("  ... and %d more" % (len(problems) - 40))
        else:
            print("ok   %s: %d formula cells recalculated by LibreOffice match cxroi" % (path, n))
    print("%d scenario(s), %d failed; files in %s" % (len(scenarios), failed, out_dir))
    return 1 if failed or not reports else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
