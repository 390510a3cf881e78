#!/usr/bin/env bash
# Benchmarks archive + digest (tar_write_dir via test/bench/bench_archive)
# against the reference pipeline `tar --sort=name -cf - DIR | gzip -6 |
# sha256sum`, on a generated tree (2,000 files, about 20 MiB: many small
# yaml-like files, some medium, a few large ones, part compressible, part
# random, nested directories; deterministic), then on a tree twice as large
# to show that peak RSS does not grow with the input. Runs are interleaved;
# prints medians, the ratio ours/reference and our peak RSS.
#
# usage: scripts/bench-archive.sh BENCH_BINARY [RUNS]   (make bench-archive)
# Goals: ratio <= 1.1 at the same gzip level, peak RSS < 8 MiB.
set -euo pipefail

bench=${1:?usage: $0 BENCH_BINARY [RUNS]}
runs=${2:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-archive-XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 - "$bench" "$runs" "$work" <<'EOF'
import os, random, statistics, subprocess, sys, time

bench, runs, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]

WORDS = ("apiVersion kind metadata name namespace labels annotations spec "
         "replicas selector matchLabels template containers image ports "
         "containerPort env value resources limits requests cpu memory "
         "volumeMounts mountPath configMap secretName").split()

def yaml_like(rng, size):
    out, n = [], 0
    while n < size:
        depth = rng.randrange(4)
        line = "  " * depth + rng.choice(WORDS) + ": " + \
            rng.choice(WORDS) + "-" + str(rng.randrange(100000)) + "\n"
        out.append(line)
        n += len(line)
    return "".join(out).encode()[:size]

def make_tree(root, scale):
    """2,000 * scale files, about 20 MiB * scale, deterministic."""
    rng = random.Random(42)
    total = 0
    for i in range(2000 * scale):
        d = os.path.join(root, "team%02d" % (i % 20), "app%d" % (i % 7),
                         "env%d" % (i % 3))
        os.makedirs(d, exist_ok=True)
        if i % 400 == 7:        # a few large files: half random
            size = 1536 * 1024
            data = rng.randbytes(size // 2) + yaml_like(rng, size // 2)
            name = "bundle%d.bin" % i
        elif i % 25 == 3:       # medium, random (already compressed data)
            size = 48 * 1024
            data = rng.randbytes(size)
            name = "blob%d.gz" % i
        else:                   # many small yaml-like files
            size = rng.randrange(500, 12000)
            data = yaml_like(rng, size)
            name = "manifest%d.yaml" % i
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        total += len(data)
    return total

def ours(src, out):
    r = subprocess.run([bench, src, out], check=True, capture_output=True,
                       text=True)
    fields = dict(kv.split("=", 1) for kv in r.stdout.split())
    # VmHWM of the bench program: its ru_maxrss would include this python
    # process's RSS, inherited across the vfork+exec (see bench_archive.c).
    return float(fields["seconds"]), int(fields["peak_rss_kib"])

def reference(src):
    t0 = time.monotonic()
    subprocess.run("tar --sort=name -cf - . | gzip -6 | sha256sum "
                   ">/dev/null", shell=True, check=True, cwd=src)
    return time.monotonic() - t0

def run(scale):
    src = os.path.join(work, "tree%d" % scale)
    out = os.path.join(work, "out%d.tar.gz" % scale)
    size = make_tree(src, scale)
    ours(src, out)                      # warm the page cache
    reference(src)
    t_ours, t_ref, rss = [], [], []
    for _ in range(runs):               # interleaved
        s, k = ours(src, out)
        t_ours.append(s)
        rss.append(k)
        t_ref.append(reference(src))
    mo, mr = statistics.median(t_ours), statistics.median(t_ref)
    print("tree: %d files, %.1f MiB; archive %.1f MiB; %d runs each"
          % (2000 * scale, size / 2**20, os.path.getsize(out) / 2**20, runs))
    print("  ours (archive+sha256, gzip 6): median %.3f s" % mo)
    print("  tar | gzip -6 | sha256sum:     median %.3f s" % mr)
    print("  ratio ours/reference: %.2f (goal <= 1.10)" % (mo / mr))
    print("  our peak RSS (VmHWM): %.1f MiB (max over runs; goal < 8 MiB)"
          % (max(rss) / 1024))

run(1)
run(2)
EOF
