#!/usr/bin/env bash
# Generates and builds a large C++ program for the debug-information benchmarks: UNITS compilation units with
# FUNCS functions each (namespaced, some templated, so symbols demangle to real C++ names), built with -g -O1.
# Usage: gen-big-fixture.sh OUTDIR [UNITS=100] [FUNCS=50]   -> OUTDIR/big
set -euo pipefail
out=${1:?usage: gen-big-fixture.sh OUTDIR [UNITS] [FUNCS]}
units=${2:-100}
funcs=${3:-50}
mkdir -p "$out/src"
for u in $(seq 0 $((units - 1))); do
  f="$out/src/unit$u.cpp"
  {
    echo "#include <cstdint>"
    echo "namespace big$u {"
    echo "template <typename T> struct Box { T v; __attribute__((noinline)) T get(int k) const { return v + k; } };"
    for i in $(seq 0 $((funcs - 1))); do
      echo "__attribute__((noinline)) long fn$i(long x, const char *s) {"
      echo "  long acc = x;"
      echo "  for (int k = 0; k < 3; k++) acc += s[k % 2] * $((i + 1));"
      echo "  Box<long> b{acc};"
      echo "  return b.get($i);"
      echo "}"
    done
    echo "}"
    echo "long unit${u}_entry(long x) { long s = 0;"
    for i in $(seq 0 $((funcs - 1))); do echo "  s += big$u::fn$i(x, \"ab\");"; done
    echo "  return s; }"
  } > "$f"
done
{
  for u in $(seq 0 $((units - 1))); do echo "long unit${u}_entry(long x);"; done
  echo "int main(int argc, char **) { long s = 0;"
  for u in $(seq 0 $((units - 1))); do echo "  s += unit${u}_entry(argc);"; done
  echo "  return (int) (s & 1); }"
} > "$out/src/main.cpp"
for f in "$out"/src/*.cpp; do
  echo "g++ -g -O1 -c -o ${f%.cpp}.o $f"
done | xargs -P "$(nproc)" -I{} sh -c '{}'
g++ -g -O1 -o "$out/big" "$out"/src/*.o
echo "$out/big"
