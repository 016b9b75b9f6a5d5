#!/usr/bin/env bash
# ae against PyTorch: every model kind, same data, batch size, loss, optimizer and thread count,
# in one run. Writes benchmarks/RESULTS.md and benchmarks/ratios.png. See benchmarks/README.md.
#
#   benchmarks/run.sh [threads]            (default 2)
#
# Needs data/mnist (data/fetch_mnist.sh), Debian's python3-torch (/usr/bin/python3), cmake, a C++20
# compiler. Environment:
#   AE_BENCH_BUILD_DIR  build folder (default: the release preset's build/release)
#   AE_BENCH_DATA       MNIST folder (default data/mnist)
#   AE_BENCH_EPOCHS     timed epochs per model after the warm-up (default 3)
#   AE_BENCH_MODELS     models to run (default: all nine)
#   AE_BENCH_FULL=1     full epochs for every model (default: the slow conv and recurrent models
#                       train on their first batches only, scaled to a full epoch; see below)
#   AE_BENCH_BATCHES=N  every model trains on its first N batches only (a quick smoke test)
#   AE_BENCH_BASELINE   commit whose headers are "before the optimizations" for the quality check
#                       (default 2b65233, the last commit before the performance work; "none" skips it)
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C

threads="${1:-2}"
load_before=$(cut -d' ' -f1 /proc/loadavg)  # before the build and the benchmarks add their own load
data="${AE_BENCH_DATA:-data/mnist}"
epochs="${AE_BENCH_EPOCHS:-3}"
models=(${AE_BENCH_MODELS:-vanilla sparse tied vae stacked conv conv_book lstm gru})
# Batches per timed epoch (0: the whole 60000 images). An epoch of these models takes 15-60 s
# per side on 2 cores; their first N batches are timed and scaled to 60000 images.
declare -A batches=([conv]=100 [conv_book]=100 [lstm]=60 [gru]=60)
[[ ${AE_BENCH_FULL:-0} == 1 ]] && batches=()
if [[ -n ${AE_BENCH_BATCHES:-} ]]; then
  for m in "${models[@]}"; do batches[$m]=$AE_BENCH_BATCHES; done
fi
python=/usr/bin/python3

die() { echo "run.sh: $*" >&2; exit 1; }
[[ $threads =~ ^[1-9][0-9]*$ ]] || die "threads must be a positive integer, got '$threads'"
[[ -e $data/train-images-idx3-ubyte || -e $data/train-images-idx3-ubyte.gz ]] ||
  die "no MNIST in $data (run data/fetch_mnist.sh)"
$python -c 'import torch' 2>/dev/null || die "$python cannot import torch (apt-get install python3-torch)"
# PyTorch's BLAS: Debian's torch calls whichever libblas.so.3 the alternatives system points at.
# Without OpenBLAS installed that is the reference BLAS, and PyTorch's dense models run 10-40x
# slower than tuned: no peer to compare against.
torch_blas=$($python - <<'PY'
import ctypes, torch
libs = sorted({w for line in open("/proc/self/maps") for w in line.split() if "libblas" in w or "openblas" in w})
core = ""
for lib in libs:
    try:
        f = ctypes.CDLL(lib).openblas_get_corename
        f.restype = ctypes.c_char_p
        core = f().decode()
        break
    except (OSError, AttributeError):
        pass
print(f"OpenBLAS, {core} kernels" if core else "reference BLAS " + (libs[0] if libs else "(none found)"))
PY
)
[[ $torch_blas == OpenBLAS* ]] ||
  die "PyTorch calls the $torch_blas, 10-40x slower than tuned (apt-get install libopenblas0-pthread)"

# ---- build
if [[ -n ${AE_BENCH_BUILD_DIR:-} ]]; then
  build="$AE_BENCH_BUILD_DIR"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-march=native -DAE_BUILD_BENCHMARKS=ON >/dev/null
else
  build=build/release
  cmake --preset release -DAE_BUILD_BENCHMARKS=ON >/dev/null
fi
# The quality check's baseline: the headers of the commit before the optimizations, extracted
# from git; ae_quality is compiled against them (ae_quality_baseline) and against the current ones.
baseline="${AE_BENCH_BASELINE:-2b65233}"
targets=(ae_bench gemm_peak bench_chart)
if [[ $baseline != none ]]; then
  base_dir="$build/quality-baseline"
  rm -rf "$base_dir" && mkdir -p "$base_dir"
  if git archive "$baseline" include 2>/dev/null | tar -x -C "$base_dir" 2>/dev/null; then
    cmake -S . -B "$build" -DAE_QUALITY_BASELINE_INCLUDE="$(cd "$base_dir/include" && pwd)" >/dev/null
    targets+=(ae_quality ae_quality_baseline)
  else
    echo "run.sh: cannot read commit $baseline's headers from git: the quality check is skipped" >&2
    baseline=none
  fi
fi
echo "run.sh: building ${targets[*]} in $build" >&2
cmake --build "$build" --target "${targets[@]}" -j 2 >/dev/null
bin="$build/benchmarks"
logs="$build/bench-logs"
mkdir -p "$logs"

# ---- helpers
loadavg() { cut -d' ' -f1 /proc/loadavg; }
load_start=$(loadavg)
load_max=$load_start
# CPU time of the whole machine (user+nice+system+irq+softirq) and of this script's finished
# children (the benchmarks), in clock ticks: their difference over the run is what other
# processes took from the benchmarks.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# Steal time: ticks the hypervisor ran another guest while this machine's vCPUs wanted to run.
# On a shared host it is what slows the same code by 1.5-2x from one hour to the next.
steal_ticks() { awk '/^cpu / { print $9 + 0 }' /proc/stat; }
children_ticks() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }
hz=$(getconf CLK_TCK)
note_load() {
  local l
  l=$(loadavg)
  load_max=$(awk -v a="$load_max" -v b="$l" 'BEGIN { print (b > a ? b : a) }')
}
# value KEY FILE: the number after "KEY " in a log, empty when missing
value() { awk -v k="$1" '$1 == k { v = $2 } END { if (v != "") print v }' "$2" 2>/dev/null || true; }
fmt() { # fmt FORMAT VALUE: printf, or n/a when VALUE is empty
  if [[ -n $2 ]]; then printf "$1" "$2"; else printf 'n/a'; fi
}
div() { # div A B: A / B, empty when either is missing
  [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN { if (b != 0) printf "%.6g", a / b }' || true
}
median() { # median VALUES...: the middle value (the upper middle of an even count)
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
gemm_rate() { # gemm_rate MODEL FILE: gemm_peak's model-shape GFLOP/s for MODEL, empty when missing
  awk -v m="$1" '$1 == "gemm_model_gflops" && $2 == m { print $3 }' "$2" 2>/dev/null || true
}
run_ae() { # run_ae LOG ARGS...
  local log=$1; shift
  "$bin/ae_bench" "$@" >"$log" 2>&1 || echo "run.sh: ae_bench $* failed (see $log)" >&2
}
run_torch() {
  local log=$1; shift
  OMP_WAIT_POLICY=PASSIVE $python benchmarks/torch_bench.py "$@" >"$log" 2>&1 ||
    echo "run.sh: torch_bench.py $* failed (see $log)" >&2
}

# ---- the GEMM limit, then every model in ae and PyTorch, one after the other
t_start=$(date +%s.%N) machine_start=$(machine_ticks) children_start=$(children_ticks) steal_start=$(steal_ticks)
echo "run.sh: gemm_peak ($threads threads)" >&2
note_load
"$bin/gemm_peak" --threads "$threads" >"$logs/gemm_peak.log" 2>&1 || echo "run.sh: gemm_peak failed" >&2
for m in "${models[@]}"; do
  args=("$m" --data "$data" --epochs "$epochs" --threads "$threads" --batch-size 256)
  [[ -n ${batches[$m]:-} ]] && args+=(--batches "${batches[$m]}")
  note_load
  echo "run.sh: $m: ae (load $(loadavg))" >&2
  run_ae "$logs/$m.ae.log" "${args[@]}"
  note_load
  echo "run.sh: $m: PyTorch (load $(loadavg))" >&2
  run_torch "$logs/$m.torch.log" "${args[@]}"
done
# Thread scaling: vanilla on 1 thread and on $threads threads, back to back, in 3 pairs. Each pair's
# two runs see the same machine (its speed drifts over minutes on a shared host); the speed-up is
# the median of the pairs' ratios.
scaling=0
scaling_pairs=3
if [[ " ${models[*]} " == *" vanilla "* && $threads -gt 1 ]]; then
  scaling=1
  for r in $(seq 1 $scaling_pairs); do
    for t in 1 "$threads"; do
      note_load
      echo "run.sh: vanilla: ae on $t thread(s), thread-scaling pair $r of $scaling_pairs" >&2
      args=(vanilla --data "$data" --epochs "$epochs" --threads "$t" --batch-size 256)
      [[ -n ${batches[vanilla]:-} ]] && args+=(--batches "${batches[vanilla]}")
      run_ae "$logs/vanilla.scaling.$r.${t}thread.log" "${args[@]}"
    done
    # The machine's own GEMMs at vanilla's shapes, 1 then $threads threads, in the same pair: the
    # ceiling for a GEMM-bound model (two vCPUs that share one physical core barely scale at all).
    for t in 1 "$threads"; do
      "$bin/gemm_peak" --threads "$t" --seconds 0.3 >"$logs/gemm_peak.scaling.$r.${t}thread.log" 2>&1 ||
        echo "run.sh: gemm_peak --threads $t failed" >&2
    done
  done
fi
note_load
load_end=$(loadavg)
t_end=$(date +%s.%N) machine_end=$(machine_ticks) children_end=$(children_ticks) steal_end=$(steal_ticks)
# Cores kept busy by other processes on average during the run (0 on a quiet machine).
others=$(awk -v m="$((machine_end - machine_start))" -v c="$((children_end - children_start))" -v hz="$hz" \
             -v t0="$t_start" -v t1="$t_end" 'BEGIN { o = (m - c) / hz / (t1 - t0); printf "%.2f", o < 0 ? 0 : o }')

# ---- quality: 5 epochs, fixed seeds, validation loss on the test images, current vs baseline.
# The dense models train on all 60000 images; the slow conv and recurrent ones on the first 12000.
declare -A quality_images=([conv]=12000 [conv_book]=12000 [lstm]=12000 [gru]=12000)
if [[ $baseline != none ]]; then
  for m in "${models[@]}"; do
    args=("$m" --data "$data" --epochs 5 --threads "$threads")
    [[ -n ${quality_images[$m]:-} ]] && args+=(--images "${quality_images[$m]}")
    for side in current baseline; do
      exe="$bin/ae_quality" && [[ $side == baseline ]] && exe="$bin/ae_quality_baseline"
      echo "run.sh: $m: quality, $side" >&2
      "$exe" "${args[@]}" >"$logs/$m.quality.$side.log" 2>&1 ||
        echo "run.sh: $exe ${args[*]} failed (see $logs/$m.quality.$side.log)" >&2
    done
  done
fi

# ---- RESULTS.md and ratios.png
out=benchmarks/RESULTS.md
tsv="$logs/ratios.tsv"
peak=$(value gemm_peak_gflops "$logs/gemm_peak.log")
square=$(value gemm_square_1024_gflops "$logs/gemm_peak.log")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cores=$(nproc)
simd=$(grep -o -w -E 'avx2|fma|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' ')
cache_value() { awk -v k="$1" 'index($0, k ":") == 1 { sub(/^[^=]*=/, ""); print }' "$build/CMakeCache.txt"; }
compiler=$(cache_value CMAKE_CXX_COMPILER)
compiler_version=$("$compiler" --version | head -1)
flags="$(cache_value CMAKE_CXX_FLAGS) $(cache_value CMAKE_CXX_FLAGS_RELEASE)"
torch_version=$($python -c 'import torch; print(torch.__version__)')
python_version=$($python -c 'import platform; print(platform.python_version())')
eigen=$(awk -F'"' '/set\(PACKAGE_VERSION "/ { print $2; exit }' "$(cache_value Eigen3_DIR)/Eigen3ConfigVersion.cmake" \
        2>/dev/null || true)
# Cores taken by the hypervisor (steal) on average during the run.
stolen=$(awk -v s="$((steal_end - steal_start))" -v hz="$hz" -v t0="$t_start" -v t1="$t_end" \
             'BEGIN { printf "%.2f", s / hz / (t1 - t0) }')
under_load=$(awk -v b="$load_before" -v o="$others" -v s="$stolen" 'BEGIN { print (b > 1.5 || o > 0.2 || s > 0.1 ? 1 : 0) }')

{
  echo "# ae against PyTorch: benchmark results"
  echo
  echo "Written by \`benchmarks/run.sh $threads\` on $(date -u '+%Y-%m-%d %H:%M UTC'); rerun it to refresh."
  echo "Every figure below comes from that one run (raw logs: \`$logs/\`)."
  echo
  if [[ $under_load == 1 ]]; then
    echo "**Measured under load:** other processes kept $others of the $cores cores busy and the hypervisor"
    echo "took $stolen cores (steal time) on average during the run (1-minute load average $load_before"
    echo "before it, at most $load_max during it), so the times are slower and noisier than on a quiet machine."
    echo
  fi
  echo "## Machine"
  echo
  echo "- CPU: $cpu, $cores cores online (${simd% })"
  echo "- compiler: $compiler_version, flags \`${flags## }\`; Eigen $eigen"
  echo "- PyTorch $torch_version (Python $python_version) on $torch_blas, \`OMP_WAIT_POLICY=PASSIVE\`"
  echo "- threads: $threads (ae: \`ae::set_num_threads\`; PyTorch: \`torch.set_num_threads\`)"
  echo "- load: 1-minute load average $load_before before the run, at most $load_max during it (the"
  echo "  benchmark itself keeps about $threads threads busy); other processes used $others cores on average;"
  echo "  the hypervisor took $stolen cores on average (steal time in \`/proc/stat\`: other guests on the host)"
  echo "- data: MNIST, 60000 training images (s/epoch), 10000 test images (inference); batch 256"
  echo
  echo "## Training and inference"
  echo
  echo "Seconds per epoch: median of $epochs epochs after a warm-up epoch. Inference: predict with no"
  echo "gradients, batch 256, on the 10000 test images. Peak RSS: the process' maximum resident memory."
  echo
  echo "| model | ae s/epoch | PyTorch s/epoch | ae/PyTorch | ae inference img/s | PyTorch inference img/s | ae peak RSS MB | PyTorch peak RSS MB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  : >"$tsv"
  for m in "${models[@]}"; do
    a="$logs/$m.ae.log" t="$logs/$m.torch.log"
    as=$(value seconds_per_epoch_median "$a") ts=$(value seconds_per_epoch_median "$t")
    r=$(div "$as" "$ts")
    name=$m
    [[ -n ${batches[$m]:-} ]] && name="$m ¹"
    printf '| %s | %s | %s | **%s** | %s | %s | %s | %s |\n' "$name" "$(fmt %.3f "$as")" "$(fmt %.3f "$ts")" \
      "$(fmt %.2f "$r")" "$(fmt %.0f "$(value inference_images_per_second "$a")")" \
      "$(fmt %.0f "$(value inference_images_per_second "$t")")" "$(fmt %.0f "$(value peak_rss_mb "$a")")" \
      "$(fmt %.0f "$(value peak_rss_mb "$t")")"
    printf '%s\t%s\n' "$m" "$r" >>"$tsv"
  done
  partial=()
  for m in "${models[@]}"; do
    [[ -n ${batches[$m]:-} ]] && partial+=("$m: first ${batches[$m]} batches ($((batches[$m] * 256)) images)")
  done
  if ((${#partial[@]})); then
    echo
    echo "¹ Partial epochs, scaled to 60000 images: $(IFS=';'; echo "${partial[*]}" | sed 's/;/; /g')."
    echo "Set \`AE_BENCH_FULL=1\` to time whole epochs."
  fi
  echo
  echo "![ae/PyTorch seconds per epoch](ratios.png)"
  echo
  echo "## Dense models against the GEMM limit"
  echo
  echo "GFLOP per epoch are counted analytically over the Dense products (6·in·out per layer and sample,"
  echo "minus 2·in·out for the first layer, whose input gradient is never computed; × 60000)."
  echo "\`gemm_peak\` measures single-precision GEMM through ae's own product path"
  echo "(\`ae::parallel_product\`) on $threads threads: the best rate is $(fmt %.1f "$peak") GFLOP/s"
  echo "(square 1024³: $(fmt %.1f "$square") GFLOP/s). The model-shape rate replays one training step's"
  echo "products at batch 256; GFLOP/epoch divided by it is the epoch time if all time were GEMM."
  echo
  echo "| model | GFLOP/epoch | ae GFLOP/s | ae % of GEMM peak | model-shape GEMM GFLOP/s | GEMM-limit s/epoch | ae s/epoch ÷ limit | PyTorch GFLOP/s | PyTorch % of GEMM peak |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for m in "${models[@]}"; do
    case $m in vanilla | sparse | tied | vae | stacked) ;; *) continue ;; esac
    a="$logs/$m.ae.log" t="$logs/$m.torch.log"
    gf=$(value gflop_per_epoch "$a")
    ag=$(value gflops_achieved "$a") tg=$(value gflops_achieved "$t")
    mr=$(gemm_rate "$m" "$logs/gemm_peak.log")
    limit=$(div "$gf" "$mr")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$m" "$(fmt %.1f "$gf")" "$(fmt %.1f "$ag")" \
      "$(fmt %.0f%% "$(div "$ag" "$peak" | awk '{ if ($1 != "") print $1 * 100 }')")" "$(fmt %.1f "$mr")" \
      "$(fmt %.3f "$limit")" "$(fmt %.2f "$(div "$(value seconds_per_epoch_median "$a")" "$limit")")" \
      "$(fmt %.1f "$tg")" "$(fmt %.0f%% "$(div "$tg" "$peak" | awk '{ if ($1 != "") print $1 * 100 }')")"
  done
  echo
  echo "## Training loss"
  echo
  echo "Mean training loss of the last timed epoch; a check that both sides train the same model"
  echo "(same initialisation scheme, different random draws). The VAE's is in nats per image."
  echo
  echo "| model | ae | PyTorch |"
  echo "|---|---:|---:|"
  for m in "${models[@]}"; do
    printf '| %s | %s | %s |\n' "$m" "$(fmt %.4f "$(value train_loss "$logs/$m.ae.log")")" \
      "$(fmt %.4f "$(value train_loss "$logs/$m.torch.log")")"
  done
  speedup=""
  if [[ $scaling == 1 ]]; then
    echo
    echo "## Thread scaling (ae, vanilla)"
    echo
    echo "Vanilla on 1 thread, then at once on $threads threads, $scaling_pairs times (seconds per epoch, median of"
    echo "$epochs epochs after a warm-up each). The speed-up is the median of the pairs' ratios. Each pair"
    echo "also times the machine's own GEMMs at vanilla's shapes (\`gemm_peak\`, the model-shape rate) on"
    echo "1 and $threads threads: how far the cores themselves scale at that moment."
    echo
    echo "| pair | 1 thread s/epoch | $threads threads s/epoch | speed-up | GEMM 1 thread GFLOP/s | GEMM $threads threads GFLOP/s | GEMM speed-up |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    ratios=() gemm_ratios=()
    for r in $(seq 1 $scaling_pairs); do
      v1=$(value seconds_per_epoch_median "$logs/vanilla.scaling.$r.1thread.log")
      vn=$(value seconds_per_epoch_median "$logs/vanilla.scaling.$r.${threads}thread.log")
      q=$(div "$v1" "$vn")
      [[ -n $q ]] && ratios+=("$q")
      g1=$(gemm_rate vanilla "$logs/gemm_peak.scaling.$r.1thread.log")
      gn=$(gemm_rate vanilla "$logs/gemm_peak.scaling.$r.${threads}thread.log")
      gq=$(div "$gn" "$g1")
      [[ -n $gq ]] && gemm_ratios+=("$gq")
      echo "| $r | $(fmt %.3f "$v1") | $(fmt %.3f "$vn") | $(fmt %.2f× "$q") | $(fmt %.1f "$g1") | $(fmt %.1f "$gn") | $(fmt %.2f× "$gq") |"
    done
    ((${#ratios[@]} > 0)) && speedup=$(median "${ratios[@]}")
    gemm_speedup=""
    ((${#gemm_ratios[@]} > 0)) && gemm_speedup=$(median "${gemm_ratios[@]}")
    echo
    echo "Speed-up 1 → $threads threads: $(fmt %.2f "$speedup")× (median of ${#ratios[@]} pairs); the machine's GEMMs at"
    echo "the same shapes: $(fmt %.2f "$gemm_speedup")×."
  fi
  if [[ $baseline != none ]]; then
    echo
    echo "## Quality: validation loss before and after the optimizations"
    echo
    echo "\`ae_quality\` trains each model for 5 epochs (same seeds, $threads threads) and evaluates it on the"
    echo "10000 test images; it is compiled once against the current headers and once against commit"
    echo "\`$(git rev-parse --short "$baseline" 2>/dev/null || echo "$baseline")\` (before the performance work). Conv and recurrent models train on the first"
    echo "12000 images."
    echo
    echo "| model | validation loss now | before | relative change |"
    echo "|---|---:|---:|---:|"
    for m in "${models[@]}"; do
      a=$(value validation_loss "$logs/$m.quality.current.log") b=$(value validation_loss "$logs/$m.quality.baseline.log")
      printf '| %s | %s | %s | %s |\n' "$m" "$(fmt %.5f "$a")" "$(fmt %.5f "$b")" \
        "$(fmt %+.2f%% "$(awk -v a="$a" -v b="$b" 'BEGIN { if (a != "" && b != "" && b != 0) print (a - b) / b * 100 }')")"
    done
  fi
  # The issue's acceptance targets, checked against this run's figures.
  echo
  echo "## Issue 6 acceptance targets"
  echo
  echo "| target | measured | met |"
  echo "|---|---:|---|"
  check() { # check LABEL VALUE OP LIMIT FORMAT
    local label=$1 v=$2 op=$3 lim=$4 f=$5 met="n/a"
    if [[ -n $v ]]; then
      met=$(awk -v v="$v" -v l="$lim" -v op="$op" 'BEGIN { ok = op == "<=" ? v <= l : v >= l; print ok ? "yes" : "no" }')
    fi
    printf '| %s | %s | %s |\n' "$label" "$(fmt "$f" "$v")" "$met"
  }
  for m in vanilla sparse tied vae stacked conv conv_book lstm; do
    [[ " ${models[*]} " == *" $m "* ]] || continue
    lim=0.6
    case $m in conv | conv_book) lim=0.4 ;; lstm) lim=0.5 ;; esac
    r=$(div "$(value seconds_per_epoch_median "$logs/$m.ae.log")" "$(value seconds_per_epoch_median "$logs/$m.torch.log")")
    check "$m ae/PyTorch ≤ $lim" "$r" "<=" "$lim" %.2f
  done
  if [[ " ${models[*]} " == *" vanilla "* ]]; then
    check "vanilla epoch ≤ 0.8 s" "$(value seconds_per_epoch_median "$logs/vanilla.ae.log")" "<=" 0.8 "%.3f s"
    check "vanilla inference ≥ 300000 img/s" "$(value inference_images_per_second "$logs/vanilla.ae.log")" ">=" 300000 %.0f
    [[ $scaling == 1 ]] && check "vanilla speed-up 1 → $threads threads ≥ 1.6×" "$speedup" ">=" 1.6 "%.2f×"
    check "vanilla peak RSS ≤ 400 MB" "$(value peak_rss_mb "$logs/vanilla.ae.log")" "<=" 400 "%.0f MB"
  fi
  if [[ $baseline != none ]]; then
    for m in "${models[@]}"; do
      rel=$(awk -v a="$(value validation_loss "$logs/$m.quality.current.log")" \
                -v b="$(value validation_loss "$logs/$m.quality.baseline.log")" \
                'BEGIN { if (a != "" && b != "" && b != 0) { d = (a - b) / b; printf "%.6g", d < 0 ? -d : d } }')
      check "$m validation loss after 5 epochs within 1% of the baseline" \
        "$(awk -v r="$rel" 'BEGIN { if (r != "") printf "%.6g", r * 100 }')" "<=" 1 "%.2f%%"
    done
  else
    echo "| validation loss after 5 epochs within 1% of before the optimizations | skipped (AE_BENCH_BASELINE=none or no git) | n/a |"
  fi
} >"$out"

"$bin/bench_chart" "$tsv" benchmarks/ratios.png >/dev/null || echo "run.sh: bench_chart failed" >&2
echo "run.sh: wrote $out and benchmarks/ratios.png (logs in $logs)" >&2
cat "$out"
