#!/bin/bash
# InstallTest: installs the build in $1 into a temporary prefix and checks
# what a user of the installed library gets:
#  - liblaura.so has the SONAME liblaura.so.0 and exports only laura_*;
#  - a CMake project finds it with find_package(LauraDB) and links
#    LauraDB::laura;
#  - a program builds with `pkg-config --cflags --libs laura`, and
#    statically with `pkg-config --static` against liblaura.a;
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
echo "PASS"
