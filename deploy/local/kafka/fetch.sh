#!/usr/bin/env bash
# Usage: fetch.sh CACHE_DIR
# Copies the pinned Apache Kafka jars (see pom.xml) from Maven Central into
# CACHE_DIR/kafka-VERSION/libs once, and prints that directory as the last line of stdout.
# Idempotent: when the marker CACHE_DIR/kafka-VERSION/.complete exists (written last, after
# maven succeeded), it does nothing else and does not start maven. A half-finished fetch
# (interrupted, network error) has no marker, so the next run starts it over.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${1:?usage: fetch.sh CACHE_DIR}"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
[ -n "$version" ] || { echo "fetch.sh: no <kafka.version> in $here/pom.xml" >&2; exit 1; }
libs="$cache/kafka-$version/libs"
marker="$cache/kafka-$version/.complete"

if [ ! -f "$marker" ]; then
  echo "fetching Apache Kafka $version jars from Maven Central into $libs" >&2
  rm -rf "$libs"
  mkdir -p "$libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" >&2 || {
    echo "fetch.sh: maven could not fetch Kafka $version (is Maven Central reachable?)" >&2
    exit 1
  }
  [ -f "$libs/kafka_2.13-$version.jar" ] || { echo "fetch.sh: $libs has no kafka_2.13-$version.jar" >&2; exit 1; }
  echo "$version" >"$marker"
fi
echo "$libs"
