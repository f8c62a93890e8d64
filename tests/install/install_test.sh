#!/bin/bash
# InstallTest: installs the build in $1 into a temporary prefix and checks
# what a user of the installed library gets:
#  - liblaura.so has the SONAME liblaura.so.0 and exports only laura_*;
#  - a CMake project finds it with find_package(LauraDB) and links
#    LauraDB::laura;
#  - a program builds with `pkg-config --cflags --libs laura`, and
#    statically with `pkg-config --static` against liblaura.a;
#  - the public headers include only each other, Abseil and the standard
#    library (nothing of storage/, btree/, wal/), and a C++ program built
#    with nothing but them and liblaura.a works;
# each consumer opens a database, puts and gets a key.
set -euo pipefail
build=$(cd "$1" && pwd)
source_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" > "$work/install.log"
libdir=$(dirname "$(find "$prefix" -name liblaura.so | head -1)")
[ -n "$libdir" ] || { echo "FAIL: no liblaura.so installed"; exit 1; }
for f in "$prefix/include/laura/c.h" "$libdir/liblaura.a" "$libdir/pkgconfig/laura.pc" \
         "$libdir/cmake/LauraDB/LauraDBConfig.cmake" "$prefix/bin/laura"; do
  [ -e "$f" ] || { echo "FAIL: $f was not installed"; exit 1; }
done

soname=$(readelf -d "$libdir/liblaura.so" | sed -n 's/.*SONAME.*\[\(.*\)\].*/\1/p')
[ "$soname" = "liblaura.so.0" ] || { echo "FAIL: SONAME is '$soname'"; exit 1; }
others=$(nm -D --defined-only "$libdir/liblaura.so" | awk '{print $3}' | grep -v '^laura_' |
         grep -v '^LAURA_0$' || true)
[ -z "$others" ] || { echo "FAIL: liblaura.so exports more than the C API:"; echo "$others" | head; exit 1; }
exported=$(nm -D --defined-only "$libdir/liblaura.so" | grep -c ' laura_')
echo "liblaura.so: SONAME $soname, $exported symbols, all laura_*"

export LD_LIBRARY_PATH=$libdir
cmake -S "$source_dir/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  > "$work/consumer.log" || { cat "$work/consumer.log"; exit 1; }
cmake --build "$work/consumer" > "$work/consumer-build.log" || { cat "$work/consumer-build.log"; exit 1; }
out=$("$work/consumer/consumer" "$work/db1")
[[ "$out" == "world "* ]] || { echo "FAIL: find_package consumer printed '$out'"; exit 1; }
echo "find_package consumer: $out"

export PKG_CONFIG_PATH=$libdir/pkgconfig
cc -o "$work/pc_consumer" "$source_dir/consumer/main.c" $(pkg-config --cflags --libs laura)
out=$("$work/pc_consumer" "$work/db2")
[[ "$out" == "world "* ]] || { echo "FAIL: pkg-config consumer printed '$out'"; exit 1; }
echo "pkg-config consumer: $out"

cc -o "$work/static_consumer" "$source_dir/consumer/main.c" \
  $(pkg-config --cflags laura) "$libdir/liblaura.a" $(pkg-config --static --libs-only-l laura | sed 's/-llaura//')
if ldd "$work/static_consumer" | grep -q liblaura; then
  echo "FAIL: the static consumer links liblaura.so"; exit 1
fi
out=$("$work/static_consumer" "$work/db3")
[[ "$out" == "world "* ]] || { echo "FAIL: static consumer printed '$out'"; exit 1; }
echo "static consumer: $out"

# The public headers: every quoted include is another public header or
# Abseil's; the C++ API compiles from the installed headers alone.
for h in "$prefix"/include/laura/*.h; do
  bad=$(sed -n 's/^#include "\(.*\)"/\1/p' "$h" | grep -v -E '^(laura/[a-z_]+\.h|absl/.*)$' || true)
  [ -z "$bad" ] || { echo "FAIL: $(basename "$h") includes $bad"; exit 1; }
done
for header in db.h options.h iterator.h write_batch.h key_space.h stats.h version.h; do
  [ -e "$prefix/include/laura/$header" ] || { echo "FAIL: laura/$header was not installed"; exit 1; }
done
c++ -std=c++20 -o "$work/cxx_consumer" "$source_dir/consumer/main.cc" \
  -I"$prefix/include" "$libdir/liblaura.a" $(pkg-config --static --libs-only-l laura | sed 's/-llaura//')
out=$("$work/cxx_consumer" "$work/db4")
[[ "$out" == "world "* ]] || { echo "FAIL: C++ consumer printed '$out'"; exit 1; }
echo "C++ consumer (laura/db.h, liblaura.a): $out"
echo "PASS"
