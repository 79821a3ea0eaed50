#!/usr/bin/env bash
# Crash safety of training and saving (a power cut or `kill -9` of the host must never destroy a
# model, and an interrupted run must be resumable to the same result):
#   1. an uninterrupted seeded run of a small network gives the reference model;
#   2. the same run, over an existing model file, is SIGKILLed at random moments (mid-epoch, mid-
#      checkpoint, mid-save) and restarted with --resume each time; after every kill the model
#      file at the output path still loads; at the end its predictions equal the reference's
#      bit for bit, and no temporary file is left behind;
#   3. a process saving a model in a loop is SIGKILLed at random moments: the file always loads.
# usage: crash_safety_test.sh WDC SAVE_LOOP WORK_DIR   (WDC_CRASH_SEED picks the kill moments)
set -euo pipefail
wdc=$1 save_loop=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
RANDOM=${WDC_CRASH_SEED:-2026}

fail() { echo "FAIL: $*" >&2; exit 1; }
loads() { "$wdc" info --model "$1" > /dev/null 2> info.err || fail "$2: $(cat info.err)"; }

cat > run.json <<'JSON'
{"network": {"blocks": [{"channels": 8, "stride": 2}, {"channels": 16, "stride": 2}]},
 "train": {"epochs": 16, "batch_size": 16, "lr": 0.05, "schedule": "cosine", "augment": true,
           "seed": 11, "val_fraction": 0.2}}
JSON
"$wdc" synth --count 1600 --seed 5 --out data.npz > /dev/null
train_command=("$wdc" --threads 1 train --config run.json --data data.npz)
train() { "${train_command[@]}" "$@" > /dev/null; }

# 1. Reference, and an older model that the interrupted run will overwrite. Both runs are timed,
#    so that kill moments scale with the machine (fast builds and slow sanitizer builds alike):
#    their difference is 15 epochs in the steady state, and the one-epoch run minus an epoch is
#    the start-up (which includes a slower first epoch).
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
sleep_ms() { sleep "$(($1 / 1000)).$(printf %03d $(($1 % 1000)))"; }
epochs=16
t0=$(now_ms)
train --out reference.wdcm
t1=$(now_ms)
train --out model.wdcm --epochs 1
t2=$(now_ms)
rm -f model.wdcm.ckpt
epoch_ms=$(( ((t1 - t0) - (t2 - t1)) / (epochs - 1) + 1 ))
start_ms=$(( t2 - t1 > epoch_ms ? t2 - t1 - epoch_ms : 1 ))

# 2. Kill, check, resume. Every third run dies during its start-up or first epoch; the others
#    once they have finished an epoch, at a random moment of the next (so mid-epoch, mid-
#    checkpoint and mid-save kills all occur). After 8 kills a last run finishes undisturbed.
# The last epoch train.err reports, 0 before the first.
last_epoch() {
  local e
  e=$(grep -o 'epoch [0-9]*/' train.err 2> /dev/null | tail -1 | tr -dc 0-9)
  echo "${e:-0}"
}
done_epochs=0 kills=0 finished=0
for attempt in $(seq 1 40); do
  (( kills < 8 && done_epochs < epochs - 1 )) || break
  resume=()
  [[ -f model.wdcm.ckpt ]] && resume=(--resume)
  # Started directly, not through train(): $! must be the trainer itself, not a subshell whose
  # death would leave the trainer running on.
  "${train_command[@]}" --out model.wdcm "${resume[@]}" > /dev/null 2> train.err &
  pid=$!
  if (( attempt % 3 == 0 )); then
    sleep_ms $(( RANDOM % (start_ms + epoch_ms) ))
  else
    while kill -0 "$pid" 2> /dev/null && (( $(last_epoch) <= done_epochs )); do
      sleep 0.02
    done
    sleep_ms $(( RANDOM % epoch_ms ))
  fi
  kill -KILL "$pid" 2> /dev/null || true
  status=0
  wait "$pid" 2> /dev/null || status=$?
  if (( status == 0 )); then  # it finished before the kill
    finished=1
    break
  fi
  (( status == 137 )) || fail "attempt $attempt failed on its own: $(cat train.err)"
  kills=$((kills + 1))
  loads model.wdcm "after kill $kills the model file does not load"
  # An epoch's progress line follows its checkpoint: it says where --resume will go on.
  last=$(last_epoch)
  (( last > 0 )) && done_epochs=$last
done
if (( !finished )); then
  train --out model.wdcm --resume 2> train.err || fail "the last resume failed: $(cat train.err)"
fi
(( kills >= 5 )) || fail "only $kills kills landed before training finished: nothing was tested"
"$wdc" predict --model reference.wdcm --data data.npz --json > reference.json
"$wdc" predict --model model.wdcm --data data.npz --json > resumed.json
cmp -s reference.json resumed.json ||
  fail "after $kills kills the resumed model predicts differently from the uninterrupted one"
leftovers=$(ls | grep -c '\.tmp-' || true)
(( leftovers == 0 )) || fail "$leftovers temporary files left behind: $(ls | grep '\.tmp-')"
echo "training: $kills kills (epochs of ~$epoch_ms ms, start-up ~$start_ms ms), resumed to the reference's predictions"

# 3. Kill a save loop.
cp model.wdcm looped.wdcm
for attempt in $(seq 1 20); do
  "$save_loop" model.wdcm looped.wdcm > saves.txt &
  pid=$!
  sleep "0.$(printf '%03d' $((100 + RANDOM % 900)))"
  kill -KILL "$pid" 2> /dev/null || fail "the save loop stopped by itself"
  wait "$pid" 2> /dev/null || true
  loads looped.wdcm "after killing the save loop ($(tail -1 saves.txt) saves) the file does not load"
done
echo "saving: 20 kills, the file loaded after each"
