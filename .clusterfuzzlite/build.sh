#!/bin/bash -eu
# ClusterFuzzLite build: the same body OSS-Fuzz runs.
exec "$SRC/cmsgbuf/fuzz/oss-fuzz.sh"
