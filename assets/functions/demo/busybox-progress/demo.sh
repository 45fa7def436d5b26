# Progress demo for Slate: one JSON object per line on stdout.
bb=/bin/busybox
steps=${1:-5}; interval=${2:-0.1}; mode=${3:-ok}; out=${4:-/out}
[ "$mode" = long ] && steps=36000 && interval=0.1
i=0
while [ "$i" -lt "$steps" ]; do
  i=$((i + 1))
  echo "{\"progress\":$($bb awk "BEGIN{print $i/$steps}"),\"stage\":\"working\",\"message\":\"step $i/$steps\"}"
  echo "log line $i" 1>&2
  if [ "$mode" = oom ] && [ "$i" -eq 1 ]; then
    $bb head -c 1000000000 /dev/zero | $bb tail > /dev/null || { echo "allocation killed" 1>&2; exit 137; }
  fi
  $bb sleep "$interval"
done
[ "$mode" = fail ] && { echo "asked to fail" 1>&2; exit 3; }
echo "done after $steps steps" > "$out/result.txt"
exit 0
