#!/usr/bin/env bash
# Data-parallel scaling on one machine (docs/DISTRIBUTED.md): the seed network trained on
# generated maps by 1 rank and by 2 ranks on loopback, one thread each, per-rank batch 32,
# alternating so that a noisy machine weighs on both alike. Prints each run's training maps/s
# (the epochs' maps over their wall time, validation included), the share of the 2-rank runs'
# time spent in collectives, and, as the machine's ceiling for two ranks, two single-rank runs
# side by side.
# usage: bench/distributed_scaling.sh WDC [RUNS] [MAPS] [EPOCHS] [SYNC_BATCH_NORM]
set -euo pipefail
wdc=$(realpath "$1")
runs=${2:-3} maps=${3:-4000} epochs=${4:-2} sync=${5:-false}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$wdc" synth --count "$maps" --seed 5 --out maps.npz > /dev/null
cat > run.json <<JSON
{"train": {"epochs": $epochs, "seed": 1, "val_fraction": 0.02, "novelty_bank": 0,
           "sync_batch_norm": $sync}}
JSON
port=$((29700 + RANDOM % 200))

# maps/s of a report: every epoch's training maps over the epochs' seconds.
cat > rate.py <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
seconds = sum(e["seconds"] for e in r["history"])
collective = r["collective_seconds"]
share = collective / r["seconds"] if r.get("world_size", 1) > 1 else 0
rate = r["train_samples"] * len(r["history"]) / seconds
per_step = 1000 * collective / max(1, r["steps"])
print(f"{rate:7.1f} maps/s   collectives {100 * share:4.1f}% of the run, {per_step:5.1f} ms a step")
PY
rate() { /usr/bin/python3 rate.py "$1"; }

for run in $(seq "$runs"); do
  "$wdc" --threads 1 train --config run.json --data maps.npz --out one.wdcm --json \
    > one.json 2> /dev/null
  echo "run $run, 1 rank:  $(rate one.json)"
  port=$((port + 1))
  for rank in 1 0; do
    "$wdc" --threads 1 train --config run.json --data maps.npz --out two.wdcm --json \
      --world-size 2 --rank $rank --dist-url "tcp://127.0.0.1:$port" > two.$rank.json 2> /dev/null &
  done
  wait
  echo "run $run, 2 ranks: $(rate two.0.json)"
  # What the machine gives two processes that never talk: the ceiling for 2 ranks.
  for copy in 1 2; do
    "$wdc" --threads 1 train --config run.json --data maps.npz --out alone.$copy.wdcm --json \
      > alone.$copy.json 2> /dev/null &
  done
  wait
  echo "run $run, 2 lone processes at once: $(rate alone.1.json) + $(rate alone.2.json)"
done
