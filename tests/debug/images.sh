# Sourced by tests/debug/*.sh (after testlib.sh, with D the source
# directory of tests/debug): builds the three-compartment image app -> mid
# -> leaf (bt.yaml) as $WORK/bt-none and $WORK/bt-process, with debug
# information.
for f in btapp mid leaf; do
	compile "$WORK/$f.o" "$D/$f.c" -g -O0
done
ar rcs "$WORK/libmid.a" "$WORK/mid.o"
ar rcs "$WORK/libleaf.a" "$WORK/leaf.o"
for m in none process; do
	with_mechanism "$D/bt.yaml" $m >"$WORK/bt-$m.yaml"
	"$FLEXOS_LINK" -c "$WORK/bt-$m.yaml" -o "$WORK/bt-$m" "$WORK/btapp.o" "$WORK/libmid.a" \
		"$WORK/libleaf.a" || fail "cannot link bt-$m"
done
