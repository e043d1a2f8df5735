#!/bin/bash -eu
# ClusterFuzzLite's build.sh: the real script lives in the repository.
exec "$SRC/spicepower/fuzz/oss-fuzz/build-fuzzers.sh"
