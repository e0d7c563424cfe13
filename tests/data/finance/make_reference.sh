#!/bin/sh
# Regenerate the LibreOffice reference values hard-coded in tests/test_finance.c.
#
# Reads cashflows.csv (beside this script), writes a flat ODF spreadsheet whose rows hold
# each cash-flow vector and the spreadsheet formulas below, lets LibreOffice Calc compute
# them headless, and prints one line a vector: id, NPV, IRR, MIRR with 15 significant
# digits, LibreOffice 7.4's output precision (or its error text: Err:523 when IRR
# does not converge, Err:502 when MIRR has no positive or no negative flow).
#
# Formulas, for a row with rate in B, reinvest_rate in C, guess in D, CF_0 in H and the
# last flow in column L (Calc's NPV() discounts its first value by one period, so CF_0 is
# added outside it; the output is then cxroi_finance_npv(rate, CF, n)):
#   NPV  = H + NPV(B; I:L)
#   IRR  = IRR(H:L; D)
#   MIRR = MIRR(H:L; B; C)
# Needs: soffice (Debian: libreoffice-calc-nogui). The tests never run this script.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk -F, '
function col(c,   s) { s = ""; while (c > 0) { s = sprintf("%c", 65 + (c - 1) % 26) s; c = int((c - 1) / 26) } return s }
function num(v) { return "<table:table-cell office:value-type=\"float\" office:value=\"" v "\"/>" }
function fml(f) { return "<table:table-cell table:formula=\"of:=" f "\"/>" }
BEGIN {
  print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
  print "<office:document xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\""
  print " xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\""
  print " xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\""
  print " xmlns:of=\"urn:oasis:names:tc:opendocument:xmlns:of:1.2\""
  print " office:version=\"1.2\" office:mimetype=\"application/vnd.oasis.opendocument.spreadsheet\">"
  print "<office:body><office:spreadsheet><table:table table:name=\"reference\">"
  r = 0
}
/^#/ || NF == 0 { next }
{
  r++
  last = col(8 + NF - 5)   # CF_0 is field 5, in column H (8)
  row = "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>" $1 "</text:p></table:table-cell>"
  row = row num($2) num($3) num($4)
  row = row fml("[.H" r "]+NPV([.B" r "];[.I" r ":." last r "])")
  row = row fml("IRR([.H" r ":." last r "];[.D" r "])")
  row = row fml("MIRR([.H" r ":." last r "];[.B" r "];[.C" r "])")
  for (i = 5; i <= NF; i++) row = row num($i)
  print row "</table:table-row>"
}
END { print "</table:table></office:spreadsheet></office:body></office:document>" }
' "$here/cashflows.csv" > "$work/reference.fods"

# Let Calc recompute every formula and save the result as flat ODF again: there each
# computed cell keeps its value in office:value at LibreOffice's full output precision
# (15 significant digits in 7.4), unformatted (no "%").
soffice --headless -env:UserInstallation="file://$work/profile" \
  --convert-to fods --outdir "$work/out" "$work/reference.fods" > /dev/null 2>&1

# One line a row: the id, then NPV, IRR, MIRR (the value, or the error text).
tr -d '\n' < "$work/out/reference.fods" | awk 'BEGIN { RS = "<table:table-row" }
NR > 1 {
  n = split($0, cell, "<table:table-cell")
  line = ""
  for (i = 2; i <= n; i++) {
    if (line == "" && match(cell[i], /<text:p>[^<]*<\/text:p>/))
      line = substr(cell[i], RSTART + 8, RLENGTH - 17)
    else if (index(cell[i], "table:formula=") == 0)
      continue
    else if (match(cell[i], /office:value="[^"]*"/))
      line = line "," substr(cell[i], RSTART + 14, RLENGTH - 15)
    else if (match(cell[i], /<text:p>[^<]*<\/text:p>/))
      line = line "," substr(cell[i], RSTART + 8, RLENGTH - 17)
  }
  if (line != "") print line
}'
