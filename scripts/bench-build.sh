#!/usr/bin/env bash
# Benchmarks the build engine through --dry-run: a generated monorepo (5,000
# files, about 50 MiB, 200 service directories; deterministic) decomposed by
# one generator with a pathPattern into 200 artifacts, timed in the same run
# as the archive-only reference on the same bytes: per service directory
# either BENCH_ARCHIVE DIR OUT (build/release/bench/bench_archive from the
# tar work, when given) or `tar --sort=name -cf - . | gzip -6 | sha256sum`.
# Runs are interleaved, each with a fresh storage directory (no reuse).
# Ours runs twice per round: with the default --jobs (one build per CPU;
# the reference pipeline uses several CPUs too) and with --jobs 1.
# Prints the wall and CPU medians (at least 3 runs each), the ratios
# ours/reference (one tar|gzip -6|sha256sum pipeline over the whole tree,
# and per service directory) and our peak RSS (/usr/bin/time %M), then the
# same for a tree twice the size (same 200 services, twice the files and
# bytes). BENCH_MORE_ARTIFACTS=1 adds a run
# with 400 services to show the per-artifact cost of the printed output.
#
# usage: scripts/bench-build.sh [BENCH_ARCHIVE] [RUNS]    (make bench-build)
# Goals: peak RSS < 16 MiB and flat as the tree grows; ratio <= 1.2.
set -euo pipefail

cd "$(dirname "$0")/.."
bin=bin/artifact-generator
[ -x "$bin" ] || make "$bin"
ref=${1:-}
runs=${2:-5}
if [ -n "$ref" ] && [ ! -x "$ref" ]; then
	echo "bench-build: $ref is not executable; using tar | gzip" >&2
	ref=
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-build-XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 - "$bin" "$ref" "$runs" "$work" <<'PY'
import os, random, resource, shutil, statistics, subprocess, sys, time

bin_, ref, runs, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

WORDS = ("apiVersion kind metadata name namespace labels annotations spec "
         "replicas selector matchLabels template containers image ports "
         "containerPort env value resources limits requests cpu memory").split()

def yaml_like(rng, size):
    out, n = [], 0
    while n < size:
        line = "  " * rng.randrange(4) + rng.choice(WORDS) + ": " + \
            rng.choice(WORDS) + "-" + str(rng.randrange(100000)) + "\n"
        out.append(line)
        n += len(line)
    return "".join(out).encode()[:size]

def make_tree(root, scale, services):
    """5,000 * scale files, about 50 MiB * scale, in `services` services."""
    rng = random.Random(7)
    total = 0
    for i in range(5000 * scale):
        svc = i % services
        d = os.path.join(root, "services", "svc%04d" % svc,
                         ("deploy", "config", "charts/templates")[i % 3])
        os.makedirs(d, exist_ok=True)
        if i % 10 == 4:          # a tenth of the files: random, larger
            data, name = rng.randbytes(40 * 1024), "blob%d.bin" % i
        else:
            data = yaml_like(rng, rng.randrange(1000, 12000))
            name = "manifest%d.yaml" % i
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        total += len(data)
    return total, services

GEN = """apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: mono, namespace: bench}
spec:
  sources: [{alias: mono, kind: GitRepository, name: mono}]
  pathPattern: "@mono/services/{svc}"
  artifacts:
    - name: "{svc}"
      copy: [{from: "@mono/services/{svc}/**", to: "@artifact/"}]
"""

def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def timed(fn, *args):
    """Runs fn; returns (wall seconds, CPU seconds of the children, result)."""
    c0, t0 = cpu(), time.monotonic()
    res = fn(*args)
    return time.monotonic() - t0, cpu() - c0, res

def run_ours(tree, gen, jobs):
    storage = os.path.join(work, "storage")
    shutil.rmtree(storage, ignore_errors=True)    # no reuse; not in wall
    cmd = ["/usr/bin/time", "-f", "%e %M", "-o", os.path.join(work, "t"),
           bin_, "--dry-run", "-f", gen, "--source", "mono=" + tree,
           "--source-revision", "mono=main@sha1:0",
           "--storage-path", storage, "-o", "json", "--jobs", str(jobs)]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    rss = int(open(os.path.join(work, "t")).read().split()[1])
    return wall, rss

def run_ref_whole(tree):
    """One pipeline over the whole tree: the cost of the bytes alone."""
    t0 = time.monotonic()
    subprocess.run("tar --sort=name -C '%s' -cf - services | gzip -6 | "
                   "sha256sum >/dev/null" % tree, shell=True, check=True)
    return time.monotonic() - t0

def run_ref(tree):
    svcs = sorted(os.listdir(os.path.join(tree, "services")))
    out = os.path.join(work, "ref.tar.gz")
    t0 = time.monotonic()
    for s in svcs:
        d = os.path.join(tree, "services", s)
        if ref:
            subprocess.run([ref, d, out], check=True,
                           stdout=subprocess.DEVNULL)
        else:
            subprocess.run("tar --sort=name -C '%s' -cf - . | gzip -6 | "
                           "sha256sum >/dev/null" % d, shell=True, check=True)
    return time.monotonic() - t0

def bench(scale, services, n):
    tree = os.path.join(work, "tree%d-%d" % (scale, services))
    total, services = make_tree(tree, scale, services)
    gen = os.path.join(work, "gen.yaml")
    open(gen, "w").write(GEN)
    ours, ours1, refs, whole, rss, rss1 = [], [], [], [], [], []
    for _ in range(n):
        w, c, _ = timed(run_ref_whole, tree)
        whole.append((w, c))
        _, c, (w, r) = timed(run_ours, tree, gen, 0)
        ours.append((w, c))
        rss.append(r)
        _, c, (w, r) = timed(run_ours, tree, gen, 1)
        ours1.append((w, c))
        rss1.append(r)
        w, c, _ = timed(run_ref, tree)
        refs.append((w, c))
    arts = sum(1 for _, _, fs in os.walk(os.path.join(work, "storage"))
               for f in fs if f.endswith(".tar.gz"))
    shutil.rmtree(tree)
    med = lambda xs, k: statistics.median(x[k] for x in xs)
    runs_of = lambda xs: " ".join("%.2f" % x[0] for x in xs)
    mw, cw = med(whole, 0), med(whole, 1)
    mr, cr = med(refs, 0), med(refs, 1)
    print("tree x%d: %d files, %.1f MiB, %d services -> %d artifacts; "
          "medians of %d interleaved runs, %d CPUs"
          % (scale, 5000 * scale, total / 2**20, services, arts, n,
             len(os.sched_getaffinity(0))))
    print("  reference whole tree   wall %6.3f s  cpu %6.3f s  "
          "(tar --sort=name|gzip -6|sha256sum; runs %s)"
          % (mw, cw, runs_of(whole)))
    print("  reference per service  wall %6.3f s  cpu %6.3f s  (%s, %d runs)"
          % (mr, cr, "bench_archive" if ref else "tar|gzip -6|sha256sum",
             services))
    for label, xs, rs in (("ours (--jobs default)", ours, rss),
                          ("ours (--jobs 1)", ours1, rss1)):
        mo, co = med(xs, 0), med(xs, 1)
        print("  %-22s wall %6.3f s  cpu %6.3f s  peak RSS %.1f MiB  "
              "(runs %s)" % (label, mo, co, max(rs) / 1024, runs_of(xs)))
        print("  %-22s ratio to whole tree: wall %.2f cpu %.2f (goal <= "
              "1.2); to per service: wall %.2f cpu %.2f"
              % ("", mo / mw, co / cw, mo / mr, co / cr))
    return max(rss + rss1)

r1 = bench(1, 200, runs)
r2 = bench(2, 200, max(3, runs // 2))
print("peak RSS: tree x1 %.1f MiB, tree x2 (same 200 services) %.1f MiB"
      % (r1 / 1024, r2 / 1024))
if os.environ.get("BENCH_MORE_ARTIFACTS"):
    r3 = bench(2, 400, 1)
    print("peak RSS with 400 artifacts: %.1f MiB" % (r3 / 1024))
PY
