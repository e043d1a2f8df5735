#!/bin/bash -eu
# oss-fuzz's build.sh for spicepower: the real script lives in the repository.
exec "$SRC/spicepower/fuzz/oss-fuzz/build-fuzzers.sh"
