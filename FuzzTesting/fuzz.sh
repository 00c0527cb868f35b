#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer and AddressSanitizer and fuzzes each for a bounded time.
#
#   bash FuzzTesting/fuzz.sh                  # every target, 30 s each
#   SECONDS_PER_TARGET=600 bash FuzzTesting/fuzz.sh FuzzConfig FuzzCompactJWT
#
# Each run starts from the committed seeds (Corpus/<target>/) and FailCases/<target>/, read only;
# what it discovers goes to a work folder (.build/fuzz-corpus/<target>/, kept between local runs so
# longer fuzzing accumulates). A crash or a broken invariant stops the run with its input saved as
# .build/fuzz-artifacts/<target>-crash-*: fix the bug, then commit that input to FailCases/<target>/,
# which the test suite replays (FuzzCorpusTests).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${SECONDS_PER_TARGET:-30}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=($(ls Sources))
fi

echo "==> building the fuzz targets (-sanitize=fuzzer,address)"
flags=(-c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
if [ $# -eq 0 ]; then
    swift build "${flags[@]}" 2>&1 | grep -v "warning: " | tail -2
else
    for target in "${targets[@]}"; do swift build "${flags[@]}" --product "$target" 2>&1 | grep -v "warning: " | tail -1; done
fi
bin=$(swift build -c debug --show-bin-path)

# Swift's backtracer would hide libFuzzer's own crash report.
export SWIFT_BACKTRACE=enable=no
mkdir -p .build/fuzz-artifacts
status=0
for target in "${targets[@]}"; do
    work=.build/fuzz-corpus/$target
    mkdir -p "$work" "Corpus/$target" "FailCases/$target"
    echo "==> $target: ${seconds}s"
    # TOMLKit leaks on every parse (TOMLTable.init(string:) never deallocates its error pointer, and
    # the C++ parse error's strings are not freed): leak detection would stop FuzzConfig at once.
    leaks=1
    [ "$target" = FuzzConfig ] && leaks=0
    if ! ASAN_OPTIONS=detect_leaks=$leaks "$bin/$target" "$work" "Corpus/$target" "FailCases/$target" -detect_leaks=$leaks \
        -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix=".build/fuzz-artifacts/$target-" > ".build/fuzz-$target.log" 2>&1; then
        status=1
        echo "FAIL $target: see FuzzTesting/.build/fuzz-$target.log"
        grep -E "ERROR|Fatal error|Precondition failed|SUMMARY|Test unit written" ".build/fuzz-$target.log" | head -10
        for artifact in .build/fuzz-artifacts/"$target"-*; do
            [ -f "$artifact" ] && echo "input ($artifact, base64): $(base64 -w0 "$artifact" | head -c 2000)"
        done
    else
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb|^#[0-9]+ *DONE" ".build/fuzz-$target.log" | tr '\n' ' '
        echo "cov: $(grep -oE "cov: [0-9]+" ".build/fuzz-$target.log" | tail -1)"
    fi
done
exit $status
