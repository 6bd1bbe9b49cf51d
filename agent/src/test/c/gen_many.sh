#!/bin/sh
# Writes a C program with N functions fn_0000 .. fn_(N-1), each called once by main.
n=${1:-1000}
i=0
while [ $i -lt $n ]; do
  printf '__attribute__((noinline)) int fn_%04d(int x) { return x + %d; }\n' $i $i
  i=$((i + 1))
done
printf 'int main(void) {\n  int s = 0;\n'
i=0
while [ $i -lt $n ]; do
  printf '  s += fn_%04d(s);\n' $i
  i=$((i + 1))
done
printf '  return s & 1;\n}\n'
