#!/bin/sh
# Two builds of bench_relay_route (say, one against main's src/net/loop.c and one against
# this tree's), run alternately ROUNDS times in one run so the machine's load falls on both
# alike; prints each round and the medians (ns of loop CPU per relayed datagram) and their
# ratio. Usage: run_relay_route_bench.sh BEFORE AFTER [ROUNDS]
set -eu
BEFORE=$1
AFTER=$2
ROUNDS=${3:-9}
b=""
a=""
i=0
while [ $i -lt "$ROUNDS" ]; do
  x=$("$BEFORE" | sed -n 's/.*loop CPU \([0-9.]*\) ns.*/\1/p')
  y=$("$AFTER" | sed -n 's/.*loop CPU \([0-9.]*\) ns.*/\1/p')
  echo "round $i: before $x ns, after $y ns"
  b="$b $x"
  a="$a $y"
  i=$((i + 1))
done
median() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
mb=$(median $b)
ma=$(median $a)
echo "median: before $mb ns, after $ma ns per datagram; after/before $(echo "$ma $mb" | awk '{printf "%.2f", $1/$2}')"
