#!/bin/bash
# After a failed ctest run: what failed, in few lines, so that the end of the output (often the
# only part a CI log keeps) says which test and why. Reads ctest's log of the last run.
#   scripts/test-failures.sh BUILD_DIR
set -u
log="${1:?usage: $0 BUILD_DIR}/Testing/Temporary/LastTest.log"
[ -r "$log" ] || { echo "no ctest log at $log"; exit 0; }

echo
echo "==== what failed (from $log) ===="
# gtest: each failed test's own lines between its RUN and FAILED markers, at most 25 each.
awk '
  /^\[ RUN      \] / { name = $4; n = 0; delete lines; next }
  /^\[  FAILED  \] / && name != "" && $4 == name {
    print "--- " name
    for (i = 1; i <= n && i <= 25; i++) print lines[i]
    if (n > 25) print "    (" n - 25 " more lines in the log)"
    name = ""; next
  }
  name != "" { lines[++n] = $0 }
' "$log" | head -150
# Sanitizer reports: the test running, the error, the frames in our code, the summary.
awk '
  /^\[ RUN      \] / { running = $4 }
  /ERROR: ((Address|Leak|Thread)Sanitizer|libFuzzer)|runtime error:/ {
    print "--- sanitizer, in " (running == "" ? "(no test running)" : running)
    print; report = 1; frames = 0; next
  }
  report && /^ *#[0-9]+ .*\/(src|tests)\// && frames < 10 { print; frames++ }
  report && /^SUMMARY: / { print; report = 0 }
' "$log" | head -80
# System tests print one FAIL line each.
grep -E "^(FAIL|not ok)\b" "$log" | head -20
echo "==== end of what failed ===="
