#!/bin/sh
# Regenerate the golden outputs in test/data/golden/ from the current
# build (style.md rule 20).  Review `git diff test/data/golden` before
# committing: every change must be one you meant.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared}
export ROOT BUILD BIN="$ROOT/$BUILD/bin" TOOLS="$ROOT/$BUILD/tools"
export SHARED_DATA="$SHARED/data" UPDATE=1
exec sh "$ROOT/test/integ/golden.sh"
