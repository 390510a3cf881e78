#!/usr/bin/env bash
# Benchmarks archive + digest (tar_write_dir via test/bench/bench_archive)
# against the reference pipeline `tar --sort=name -cf - DIR | gzip -6 |
# sha256sum`, on a generated tree (2,000 files, about 20 MiB: many small
# yaml-like files, some medium, a few large ones, part compressible, part
# random, nested directories; deterministic), then on a tree twice as large
# to show that peak RSS does not grow with the input. Runs are interleaved;
# prints wall and CPU medians, the ratios ours/reference and our peak RSS.
# The reference spreads over three processes, so on a loaded machine the wall
# ratio is noisy; the CPU ratio is the steadier figure.
#
# usage: scripts/bench-archive.sh BENCH_BINARY [RUNS]   (make bench-archive)
# Goals: ratio <= 1.1 at the same gzip level, peak RSS < 8 MiB.
set -euo pipefail

bench=${1:?usage: $0 BENCH_BINARY [RUNS]}
runs=${2:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-archive-XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 - "$bench" "$runs" "$work" <<'EOF'
import os, random, resource, statistics, subprocess, sys, time

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

def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def ours(src, out):
    """Wall seconds (as the program measures them), CPU seconds, peak RSS."""
    c0 = children_cpu()
    r = subprocess.run([bench, src, out], check=True, capture_output=True,
                       text=True)
    fields = dict(kv.split("=", 1) for kv in r.stdout.split())
    # VmHWM of the bench program: its ru_maxrss would include this python
    # process's RSS, inherited across the vfork+exec (see bench_archive.c).
    return (float(fields["seconds"]), children_cpu() - c0,
            int(fields["peak_rss_kib"]))

def reference(src):
    """Wall and CPU seconds (tar + gzip + sha256sum, all waited for)."""
    c0 = children_cpu()
    t0 = time.monotonic()
    subprocess.run("tar --sort=name -cf - . | gzip -6 | sha256sum "
                   ">/dev/null", shell=True, check=True, cwd=src)
    return time.monotonic() - t0, children_cpu() - c0

def run(scale):
    src = os.path.join(work, "tree%d" % scale)
    out = os.path.join(work, "out%d.tar.gz" % scale)
    size = make_tree(src, scale)
    ours(src, out)                      # warm the page cache
    reference(src)
    t_ours, c_ours, t_ref, c_ref, rss = [], [], [], [], []
    for _ in range(runs):               # interleaved
        s, c, k = ours(src, out)
        t_ours.append(s)
        c_ours.append(c)
        rss.append(k)
        s, c = reference(src)
        t_ref.append(s)
        c_ref.append(c)
    med = statistics.median
    mo, mr = med(t_ours), med(t_ref)
    ref_size = int(subprocess.run(
        "tar --sort=name -cf - . | gzip -6 | wc -c", shell=True, check=True,
        cwd=src, capture_output=True, text=True).stdout)
    print("tree: %d files, %.1f MiB; archive %.2f MiB (reference %.2f MiB);"
          " %d runs each" % (2000 * scale, size / 2**20,
                             os.path.getsize(out) / 2**20, ref_size / 2**20,
                             runs))
    print("  ours (archive+sha256, gzip 6): median %.3f s wall, %.3f s CPU"
          % (mo, med(c_ours)))
    print("  tar | gzip -6 | sha256sum:     median %.3f s wall, %.3f s CPU"
          % (mr, med(c_ref)))
    print("  ratio ours/reference: %.2f wall (goal <= 1.10), %.2f CPU"
          % (mo / mr, med(c_ours) / med(c_ref)))
    print("  our peak RSS (VmHWM): %.1f MiB (max over runs; goal < 8 MiB)"
          % (max(rss) / 1024))

run(1)
run(2)
EOF
