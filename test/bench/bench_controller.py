#!/usr/bin/env python3
"""Load driver of `make bench-controller` (scripts/bench-controller.sh).

Against a private control plane that is already up (plane.env), with the
controller binary given: serves N/5 small source tarballs on loopback,
creates N/5 GitRepositories whose status points at them, starts the
controller as the service account of manifests/rbac, creates N
ArtifactGenerators (each composing two of the sources) as fast as the API
server takes them, and measures:

  first create -> all Ready, last create -> all Ready, the controller's peak
  RSS (VmHWM) and CPU seconds, API requests by verb (apiserver_request_total,
  less the driver's own requests), then one source changed -> every
  generator using it Ready with a new observedSourcesDigest, then RSS and API
  writes over an idle period.

Prints one line of figures per phase and a final JSON object of them on the
last line (the shell script builds its table from that). Every wait is
bounded; on a timeout the figures say so and the exit status is 1.
"""
import http.client
import http.server
import io
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tarfile
import threading
import time
import hashlib
from concurrent.futures import ThreadPoolExecutor

WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE", "APPLY")
# What the controller reads and writes (leader election, not built yet,
# would add leases).
CONTROLLER_RESOURCES = ("artifactgenerators", "externalartifacts", "events",
                        "gitrepositories", "ocirepositories", "buckets",
                        "helmcharts", "namespaces")


def env(name, default=None):
    v = os.environ.get(name, default)
    if v is None:
        sys.exit("bench-controller: %s is not set" % name)
    return v


class Api:
    """A tiny client for the plane's API server (admin token), counting
    its own requests by verb so they can be subtracted from the server's
    metrics. One connection per thread (keep-alive)."""

    def __init__(self, server, ca, token):
        m = re.match(r"https://([^:/]+):(\d+)", server)
        self.host, self.port = m.group(1), int(m.group(2))
        self.ctx = ssl.create_default_context(cafile=ca)
        self.token = token
        self.local = threading.local()
        self.lock = threading.Lock()
        self.sent = {}

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = http.client.HTTPSConnection(self.host, self.port,
                                            context=self.ctx, timeout=60)
            self.local.c = c
        return c

    def req(self, method, path, body=None, ctype="application/json",
            verb=None):
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(5):
            c = self.conn()
            try:
                c.request(method, path, body=data, headers={
                    "Authorization": "Bearer " + self.token,
                    "Content-Type": ctype, "Accept": "application/json"})
                r = c.getresponse()
                out = r.read()
            except (http.client.HTTPException, OSError):
                self.local.c = None
                time.sleep(0.2 * (attempt + 1))
                continue
            with self.lock:
                k = verb or method
                self.sent[k] = self.sent.get(k, 0) + 1
            if r.status == 429:
                time.sleep(1)
                continue
            if r.status >= 300:
                raise RuntimeError("%s %s: %d %s" % (method, path, r.status,
                                                     out[:300]))
            return json.loads(out) if out and path != "/metrics" else out
        raise RuntimeError("%s %s: no answer after 5 tries" % (method, path))

    def metrics(self):
        """apiserver_request_total on the resources the controller uses,
        summed by verb. The API server's own requests (its lease renewals,
        every 10 s) are on other resources; /metrics is not counted."""
        c = self.conn()
        c.request("GET", "/metrics",
                  headers={"Authorization": "Bearer " + self.token})
        text = c.getresponse().read().decode()
        by = {}
        for line in text.splitlines():
            if not line.startswith("apiserver_request_total{"):
                continue
            res = re.search(r'resource="([a-z]*)"', line)
            if res is None or res.group(1) not in CONTROLLER_RESOURCES:
                continue
            m = re.search(r'verb="([A-Z]+)"', line)
            by[m.group(1)] = by.get(m.group(1), 0) + float(line.split()[-1])
        return by


def make_tarball(i, version):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, text in (("deploy/app.yaml",
                            "kind: ConfigMap\nname: app-%d\nversion: %d\n" %
                            (i, version)),
                           ("deploy/values.yaml", "replicas: %d\n" % (i % 3))):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Tarballs(http.server.ThreadingHTTPServer):
    daemon_threads = True


def serve(files, counter):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            counter[0] += 1
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = Tarballs(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def source_status(url, body, rev):
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cond = {"type": "Ready", "status": "True", "reason": "Succeeded",
            "message": "stored artifact", "observedGeneration": 1,
            "lastTransitionTime": now}
    return {"status": {"observedGeneration": 1, "conditions": [cond],
                       "artifact": {"path": url.split("/", 3)[3], "url": url,
                                    "revision": rev, "digest": digest,
                                    "lastUpdateTime": now,
                                    "size": len(body)}}}, digest


def proc_figures(ctl):
    if ctl.poll() is not None:
        raise RuntimeError("the controller exited with status %d" %
                           ctl.returncode)
    pid = ctl.pid
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, v = line.split(":", 1)
            st[k] = v.strip()
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return (int(st["VmHWM"].split()[0]) / 1024.0,
            int(st["VmRSS"].split()[0]) / 1024.0, cpu)


def pid_cpu(pid):
    """CPU seconds (user + system) of process pid so far."""
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy():
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    tck = os.sysconf("SC_CLK_TCK")
    return (sum(v) - idle) / tck, sum(v) / tck


class CpuWindow:
    """The CPU seconds the plane (API server, etcd), this driver and the
    whole machine spent between start() and stop(): where the time to
    Ready went on a shared machine."""

    def __init__(self):
        self.pids = {"apiserver": env("PLANE_APISERVER_PID"),
                     "etcd": env("PLANE_ETCD_PID")}

    def sample(self):
        out = {k: pid_cpu(p) for k, p in self.pids.items()}
        t = os.times()
        out["driver"] = t.user + t.system
        out["busy"], out["total"] = machine_busy()
        return out

    def start(self):
        self.t0 = self.sample()

    def stop(self):
        t1 = self.sample()
        return {k: round(t1[k] - self.t0[k], 2) for k in t1}


def dump(ctl, phase):
    """With BENCH_DUMP=DIR: the controller's smaps_rollup and smaps at this
    phase copied into DIR, and SIGUSR1 so it logs its heap's figures."""
    d = os.environ.get("BENCH_DUMP")
    if not d:
        return
    os.makedirs(d, exist_ok=True)
    for f in ("smaps_rollup", "smaps", "status"):
        with open("/proc/%d/%s" % (ctl.pid, f)) as src, \
                open(os.path.join(d, "%s.%s" % (phase, f)), "w") as dst:
            dst.write(src.read())
    ctl.send_signal(signal.SIGUSR1)


def ready_digest(g):
    """observedSourcesDigest of a Ready generator, else None."""
    st = g.get("status", {})
    for c in st.get("conditions", []):
        if (c.get("type") == "Ready" and c.get("status") == "True" and
                c.get("observedGeneration") == g["metadata"]["generation"]):
            return st.get("observedSourcesDigest")
    return None


class Watcher:
    """Follows the generators of a namespace with one WATCH (no polling,
    which would load the API server the controller is measured against):
    ready maps name -> observedSourcesDigest of the Ready ones."""

    def __init__(self, api, ns):
        self.api, self.ns = api, ns
        self.ready = {}
        self.lock = threading.Lock()
        path = ("/apis/source.extensions.fluxcd.io/v1beta1/namespaces/%s/"
                "artifactgenerators" % ns)
        rv = api.req("GET", path, verb="LIST")["metadata"]["resourceVersion"]
        self.conn = http.client.HTTPSConnection(api.host, api.port,
                                                context=api.ctx, timeout=900)
        self.conn.request("GET", "%s?watch=1&resourceVersion=%s&"
                          "timeoutSeconds=900" % (path, rv), headers={
                              "Authorization": "Bearer " + api.token})
        with api.lock:
            api.sent["WATCH"] = api.sent.get("WATCH", 0) + 1
        self.resp = self.conn.getresponse()
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            line = self.resp.readline()
            if not line:
                return
            ev = json.loads(line)
            g = ev["object"]
            name = g.get("metadata", {}).get("name")
            with self.lock:
                d = ready_digest(g) if ev["type"] != "DELETED" else None
                if d is None:
                    self.ready.pop(name, None)
                else:
                    self.ready[name] = d

    def snapshot(self):
        with self.lock:
            return dict(self.ready)


def wait(pred, timeout, step=0.1):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return True
        time.sleep(step)
    return False


def delta(after, before, sent_after, sent_before):
    out = {}
    for verb in set(after) | set(before):
        mine = sent_after.get(verb, 0) - sent_before.get(verb, 0)
        n = after.get(verb, 0) - before.get(verb, 0) - mine
        if n:
            out[verb] = int(n)
    return out


def main():
    n = int(sys.argv[1])
    binary = sys.argv[2]
    work = sys.argv[3]
    api = Api(env("PLANE_SERVER"), env("PLANE_CA"), env("PLANE_ADMIN_TOKEN"))
    ns = "bench"
    nsrc = max(2, n // 5)
    files, gets = {}, [0]
    srv = serve(files, gets)
    base = "http://127.0.0.1:%d" % srv.server_address[1]
    api.req("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    gitrepos = "/apis/source.toolkit.fluxcd.io/v1/namespaces/%s/" \
               "gitrepositories" % ns

    def put_source(i, version):
        body = make_tarball(i, version)
        path = "/gitrepository/%s/src-%d/%d.tar.gz" % (ns, i, version)
        files[path] = body
        status, digest = source_status(base + path, body,
                                       "main@sha1:%040x" % (i * 1000 + version))
        api.req("PATCH", "%s/src-%d/status" % (gitrepos, i), status,
                "application/merge-patch+json")
        return digest

    def create_source(i):
        api.req("POST", gitrepos, {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": {"name": "src-%d" % i},
            "spec": {"url": "https://git.example.invalid/r%d" % i,
                     "interval": "1h", "ref": {"branch": "main"}}})
        put_source(i, 1)

    with ThreadPoolExecutor(16) as ex:
        list(ex.map(create_source, range(nsrc)))

    log = open(os.path.join(work, "controller.log"), "w")
    ctl = subprocess.Popen([binary,
                            "--kubeconfig", env("PLANE_CONTROLLER_KUBECONFIG"),
                            "--storage-path", os.path.join(work, "storage"),
                            "--storage-adv-addr", "127.0.0.1:9090",
                            # nothing else may need these ports here
                            "--storage-addr", "127.0.0.1:0",
                            "--metrics-addr", "0", "--health-addr", "0",
                            "--log-level", "info"],
                           stdout=log, stderr=subprocess.STDOUT)
    figures = {"generators": n, "sources": nsrc}
    ok = True
    try:
        time.sleep(1.0)	# informers synced on an empty namespace
        dump(ctl, "start")
        m0, s0 = api.metrics(), dict(api.sent)
        gens = "/apis/source.extensions.fluxcd.io/v1beta1/namespaces/%s/" \
               "artifactgenerators" % ns

        pairs = {}
        for i in range(n):
            a, b = i % nsrc, (i * 7 + 1) % nsrc
            pairs[i] = (a, b if b != a else (b + 1) % nsrc)

        def create_gen(i):
            a, b = pairs[i]
            api.req("POST", gens, {
                "apiVersion": "source.extensions.fluxcd.io/v1beta1",
                "kind": "ArtifactGenerator",
                "metadata": {"name": "gen-%d" % i},
                "spec": {
                    "sources": [
                        {"alias": "a", "kind": "GitRepository",
                         "name": "src-%d" % a},
                        {"alias": "b", "kind": "GitRepository",
                         "name": "src-%d" % b}],
                    "artifacts": [{
                        "name": "gen-%d-out" % i,
                        "copy": [
                            {"from": "@a/deploy/**", "to": "@artifact/a/"},
                            {"from": "@b/deploy/values.yaml",
                             "to": "@artifact/a/values.yaml",
                             "strategy": "Merge"}]}]}})

        watcher = Watcher(api, ns)
        window = CpuWindow()
        cpu0 = proc_figures(ctl)[2]
        window.start()
        t_first = time.time()
        with ThreadPoolExecutor(16) as ex:
            list(ex.map(create_gen, range(n)))
        t_last = time.time()
        ready = {}

        def all_ready():
            ready.update(watcher.snapshot())
            return len(ready) == n
        ok = wait(all_ready, float(os.environ.get("READY_TIMEOUT", "300")),
                  0.02)
        t_ready = time.time()
        spent = window.stop()
        hwm, rss, cpu = proc_figures(ctl)
        spent["controller"] = round(cpu - cpu0, 2)
        dump(ctl, "peak")
        m1, s1 = api.metrics(), dict(api.sent)
        req = delta(m1, m0, s1, s0)
        writes = sum(v for k, v in req.items() if k in WRITE_VERBS)
        figures.update({
            "all_ready": ok, "ready": len(ready),
            "first_create_to_ready_s": round(t_ready - t_first, 2),
            "last_create_to_ready_s": round(t_ready - t_last, 2),
            "peak_rss_mib": round(hwm, 1), "cpu_s": round(cpu, 2),
            "requests": req, "writes": writes,
            "writes_per_generator": round(writes / n, 2),
            "source_downloads": gets[0], "cpu_window": spent})
        print("converge: %d/%d Ready, %.2f s from the first create, %.2f s "
              "from the last; peak RSS %.1f MiB; CPU %.2f s; writes %d "
              "(%.2f per generator); requests %s; %d downloads" % (
                  len(ready), n, t_ready - t_first, t_ready - t_last, hwm,
                  cpu, writes, writes / n, json.dumps(req, sort_keys=True),
                  gets[0]), flush=True)
        # The machine's CPUs over the same window: how busy it was, and
        # what the plane and this driver alone needed, which bounds the
        # time to Ready whatever the controller does. While the creates
        # ran, the machine could do at most ncpu * (t_last - t_first) of
        # that work; the rest comes after the last create, so even a
        # controller costing nothing waits for it.
        ncpu = spent["total"] / max(t_ready - t_first, 1e-6)
        others = spent["apiserver"] + spent["etcd"] + spent["driver"]
        floor = max(0.0, others / ncpu - (t_last - t_first))
        figures["last_create_floor_s"] = round(floor, 2)
        print("converge CPU: machine busy %.0f%% of %.1f CPUs; API server "
              "%.2f s, etcd %.2f s, this driver %.2f s, controller %.2f s; "
              "the plane and driver alone need %.2f s of the machine's %.1f "
              "CPUs (%.2f ms of API server CPU per generator); the creates "
              "took %.2f s, so the last create -> all Ready takes at least "
              "%.2f s here whatever the controller does" % (
                  100.0 * spent["busy"] / max(spent["total"], 1e-6), ncpu,
                  spent["apiserver"], spent["etcd"], spent["driver"],
                  spent["controller"], others / ncpu, ncpu,
                  1000.0 * spent["apiserver"] / n, t_last - t_first, floor),
              flush=True)

        # one source changes: every generator using it gets a new digest
        users = [i for i, ab in pairs.items() if 0 in ab]
        before = dict(ready)
        t0 = time.time()
        put_source(0, 2)

        def users_updated():
            now = watcher.snapshot()
            return all(now.get("gen-%d" % i) not in (None,
                                                     before.get("gen-%d" % i))
                       for i in users)
        ok2 = wait(users_updated, float(os.environ.get("READY_TIMEOUT", "120")),
                   0.02)
        figures.update({"change_users": len(users), "change_ok": ok2,
                        "change_to_ready_s": round(time.time() - t0, 2)})
        print("source change: %d generators use it; all Ready with a new "
              "sources digest after %.2f s%s" % (
                  len(users), time.time() - t0, "" if ok2 else " (TIMEOUT)"),
              flush=True)

        idle = float(os.environ.get("IDLE_SECONDS", "30"))
        time.sleep(2)
        m2, s2 = api.metrics(), dict(api.sent)
        time.sleep(idle)
        m3, s3 = api.metrics(), dict(api.sent)
        idle_req = delta(m3, m2, s3, s2)
        idle_writes = sum(v for k, v in idle_req.items() if k in WRITE_VERBS)
        hwm, rss, cpu = proc_figures(ctl)
        dump(ctl, "idle")
        figures.update({"idle_rss_mib": round(rss, 1),
                        "idle_writes": idle_writes,
                        "idle_requests": idle_req})
        print("idle %.0f s: RSS %.1f MiB, API writes %d, requests %s" % (
            idle, rss, idle_writes, json.dumps(idle_req, sort_keys=True)),
            flush=True)
        ok = ok and ok2
    finally:
        ctl.send_signal(signal.SIGTERM)
        try:
            ctl.wait(15)
        except subprocess.TimeoutExpired:
            ctl.kill()
        srv.shutdown()
    print(json.dumps(figures, sort_keys=True))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
