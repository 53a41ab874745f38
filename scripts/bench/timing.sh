# Timing helpers shared by the benchmark scripts (sourced). The script sets WORK (its work
# directory: each step's output goes to WORK/NAME.log) and CSV (a file with the header
# "step,seconds,peak_rss_mib").

# timed NAME CMD...: run CMD under GNU time, print "NAME seconds peakRSS", append a CSV row;
# on failure print its output and return 1
timed() {
  local name=$1 out secs kib
  shift
  out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out" "$@" > "$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log" >&2; rm -f "$out"; return 1; }
  read -r secs kib < "$out"
  rm -f "$out"
  printf '   %-30s %8.2f s %6d MiB\n' "$name" "$secs" $((kib / 1024))
  echo "$name,$secs,$((kib / 1024))" >> "$CSV"
}
# secs_of NAME: the seconds of step NAME
secs_of() { awk -F, -v n="$1" '$1==n {print $2}' "$CSV"; }
# ratio A B: seconds of A / seconds of B, two decimals
ratio() { awk -v a="$(secs_of "$1")" -v b="$(secs_of "$2")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
