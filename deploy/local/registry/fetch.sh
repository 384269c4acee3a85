#!/usr/bin/env bash
# Usage: fetch.sh <cacheDir>
#
# Makes a runnable Apicurio Registry (Confluent-compatible API under /apis/ccompat/v7) available in
# <cacheDir>/registry-<version>/ and prints that directory as the LAST line of stdout (everything
# else goes to stderr). The version is the apicurio.version property of pom.xml beside this script
# (APICURIO_REGISTRY_VERSION overrides it, for trying another release).
#
# Idempotent: the directory is complete once its .complete marker exists (written last); a warm run
# only checks the marker and never calls Maven. A cold run unpacks the distribution that Apicurio
# publishes on Maven Central (io.apicurio:apicurio-registry-app:<version>:tar.gz:all) through Maven,
# so the user's Maven settings (mirrors, proxies, local repository) apply, into a temporary
# directory that is renamed into place, so an interrupted run leaves nothing half-done behind.
#
# The directory always contains quarkus-run.jar; start it with `java [options] -jar quarkus-run.jar`
# (see README.md beside this script for the options).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 <cacheDir>" >&2
  exit 2
fi

version="${APICURIO_REGISTRY_VERSION:-$(sed -n 's:.*<apicurio.version>\(.*\)</apicurio.version>.*:\1:p' "$here/pom.xml" | head -n 1)}"
if [[ -z "$version" ]]; then
  echo "fetch.sh: cannot read <apicurio.version> from $here/pom.xml" >&2
  exit 1
fi

mkdir -p "$1"
cache="$(cd "$1" && pwd)"
dest="$cache/registry-$version"
marker="$dest/.complete"

if [[ -f "$marker" ]]; then
  echo "$dest"
  exit 0
fi

for tool in mvn java; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fetch.sh: '$tool' is not on PATH (needed to fetch and run Apicurio Registry)" >&2
    exit 1
  fi
done

# One builder at a time per cache directory (two stacks starting at once).
lock="$cache/.registry-$version.lock"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$lock"
  flock 9
  if [[ -f "$marker" ]]; then
    echo "$dest"
    exit 0
  fi
fi

work="$(mktemp -d "$cache/.registry-$version.tmp.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

echo "fetch.sh: fetching Apicurio Registry $version from Maven Central (100+ MB, once)..." >&2
started=$SECONDS
mvn -B -q -Dstyle.color=never -f "$here/pom.xml" \
  -Dapicurio.version="$version" \
  -Dregistry.buildDir="$work/build" \
  -Dregistry.unpackDir="$work/app" \
  package >&2

app="$work/app"
# Apicurio 3.0.x ships a Quarkus legacy-jar (<name>-runner.jar + lib/); 3.1+ ships the fast-jar
# layout (quarkus-run.jar + lib/ app/ quarkus/). Offer quarkus-run.jar in both cases.
if [[ ! -f "$app/quarkus-run.jar" ]]; then
  runner="apicurio-registry-app-$version-runner.jar"
  if [[ ! -f "$app/$runner" ]]; then
    echo "fetch.sh: neither quarkus-run.jar nor $runner found in the unpacked distribution" >&2
    exit 1
  fi
  # The runner's manifest Class-Path (lib/...) resolves relative to the link's own directory.
  ln -s "$runner" "$app/quarkus-run.jar"
fi
if [[ ! -d "$app/lib" ]]; then
  echo "fetch.sh: the unpacked distribution has no lib/ directory" >&2
  exit 1
fi

rm -rf "$dest"
mv "$app" "$dest"
printf 'io.apicurio:apicurio-registry-app:%s:tar.gz:all\nfetched %s in %ss\n' \
  "$version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$((SECONDS - started))" >"$marker"
echo "fetch.sh: Apicurio Registry $version ready in $((SECONDS - started)) s" >&2
echo "$dest"
