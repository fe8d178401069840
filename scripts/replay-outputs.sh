#!/usr/bin/env bash
# Writes what `bearing estimate --json` and `bearing evaluate` print for every method on the
# three bundled captures (standard output, standard error and exit status of each run), one
# file per run, into OUTDIR. Run it on two revisions and compare the folders to show that a
# change leaves the command's output as it was:
#
#   scripts/replay-outputs.sh build/outputs-before         # on the old revision, after make install
#   scripts/replay-outputs.sh build/outputs-after          # on the new one
#   diff -r build/outputs-before build/outputs-after       # no output: the same bearings
#
# BEARING names the command to run (default: the venv's). Takes about a minute and a half.
# One output is not repeatable from run to run, before as after a change: MoD-DNN on the SRS
# capture (two UE chains in parallel threads, batched by the scheduler) varies in the last
# float32 digits of a peak_db now and then; run it a few times on both revisions to compare.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/replay-outputs.sh OUTDIR}
bearing=${BEARING:-.venv/bin/bearing}
data=examples/data
methods="bartlett mvdr music root-music esprit coarray-dbf scg mod-dnn"
mkdir -p "$out"

run() {  # run NAME ARGS...: one run of the command, its output in OUTDIR/NAME.*
    local name=$1
    shift
    "$bearing" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr"
    echo $? >"$out/$name.status"
}

for capture in demo_ula4 srs_ula4 two_emitters_ula8; do
    for method in $methods; do
        run "$capture.estimate.$method" estimate "$data/$capture.sigmf-meta" --method "$method" --json
    done
    run "$capture.evaluate" evaluate "$data/$capture.sigmf-meta" --method "${methods// /,}"
    run "$capture.evaluate.json" evaluate "$data/$capture.sigmf-meta" --method "${methods// /,}" --json
done
two=$data/two_emitters_ula8.sigmf-meta
run two_emitters_ula8.estimate.music.2 estimate "$two" --method music --sources 2 --average 512 --json
for counter in mdl aic edc dnn cnn1d fcnn; do
    run "two_emitters_ula8.estimate.auto.$counter" estimate "$two" --sources auto --counter "$counter" \
        --average 512 --json
done
run two_emitters_ula8.estimate.auto.track estimate "$two" --sources auto --counter cnn1d --average 512 \
    --track 5 --json
run two_emitters_ula8.evaluate.auto evaluate "$two" --method music,scg --sources auto --average 512
run demo_ula4.estimate.mod-dnn.text estimate "$data/demo_ula4.sigmf-meta" --method mod-dnn --average 1024
run srs_ula4.estimate.music.text estimate "$data/srs_ula4.sigmf-meta" --method music
run demo_ula4.info info "$data/demo_ula4.sigmf-meta" --json
echo "$(ls "$out"/*.status | wc -l) runs written to $out"
