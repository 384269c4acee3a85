#!/usr/bin/env bash
# Usage: fetch.sh CACHE_DIR
# Copies the pinned Apache Kafka jars from Maven Central into CACHE_DIR/kafka-VERSION/libs once,
# and prints that directory as the last line. A marker written last makes a half-finished fetch
# (interrupted, network error) count as missing, so the next run starts it over.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${1:?usage: fetch.sh CACHE_DIR}"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
libs="$cache/kafka-$version/libs"
marker="$cache/kafka-$version/.complete"

if [ ! -f "$marker" ]; then
  echo "fetching Apache Kafka $version jars from Maven Central into $libs" >&2
  rm -rf "$libs"
  mkdir -p "$libs"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" >&2 || {
    echo "fetch.sh: maven could not fetch Kafka $version (is Maven Central reachable?)" >&2
    exit 1
  }
  ls "$libs"/kafka_2.13-"$version".jar >/dev/null
  touch "$marker"
fi
echo "$libs"
