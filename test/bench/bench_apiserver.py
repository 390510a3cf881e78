#!/usr/bin/env python3
"""Load driver of `make bench-apiserver` (scripts/bench-apiserver.sh).

What each write the controller makes per generator costs the API server
and etcd, in CPU milliseconds, on a plane that is already up (plane.env):
N requests of each kind, 8 in flight, with two watchers on generators and
ExternalArtifacts (as the controller's informers are); the CPU comes from
/proc/<pid>/stat of kube-apiserver and etcd, so this driver's own cost
does not count. The bodies are those the controller sends (the
ExternalArtifact apply and its status apply, the finalizer and status merge
patches, the Event), then the same objects written other ways, for
comparison. The sum of one row per write a generator needs is the API
server CPU a generator costs at least, whoever writes it: the floor under
bench-controller's time to Ready on a machine of this many CPUs.
"""
import http.client
import json
import os
import re
import ssl
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

GEN_API = "/apis/source.extensions.fluxcd.io/v1beta1"
EA_API = "/apis/source.toolkit.fluxcd.io/v1"
APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
DIGEST = "sha256:" + "f51bce6a14082557c9011943b344a673354672bef25eb2166cadfd8c320a6a1b"
UID = "791850ef-e2dc-4046-9e55-cae2d5135911"
MANAGER = "source-watcher"


class Api:
    def __init__(self):
        m = re.match(r"https://([^:/]+):(\d+)", os.environ["PLANE_SERVER"])
        self.host, self.port = m.group(1), int(m.group(2))
        self.ctx = ssl.create_default_context(cafile=os.environ["PLANE_CA"])
        self.token = os.environ["PLANE_ADMIN_TOKEN"]
        self.local = threading.local()

    def conn(self, timeout=60):
        return http.client.HTTPSConnection(self.host, self.port,
                                           context=self.ctx, timeout=timeout)

    def req(self, method, path, body=None, ctype="application/json"):
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.local.c = self.conn()
        c.request(method, path, body=json.dumps(body).encode()
                  if body is not None else None, headers={
                      "Authorization": "Bearer " + self.token,
                      "Content-Type": ctype})
        r = c.getresponse()
        out = r.read()
        if r.status >= 300:
            raise RuntimeError("%s %s: %d %s" % (method, path, r.status,
                                                 out[:200]))
        return json.loads(out)

    def watch(self, path):
        c = self.conn(timeout=None)
        c.request("GET", path + "?watch=1",
                  headers={"Authorization": "Bearer " + self.token})
        r = c.getresponse()
        while r.readline():
            pass


def cpu(pid):
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    api = Api()
    ns = "bench-api"
    api.req("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    for path in (GEN_API + "/artifactgenerators", EA_API + "/externalartifacts"):
        threading.Thread(target=api.watch, args=(path,), daemon=True).start()
    time.sleep(1)
    gens = "%s/namespaces/%s/artifactgenerators" % (GEN_API, ns)
    eas = "%s/namespaces/%s/externalartifacts" % (EA_API, ns)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rv = {}

    def gen(i):
        return {"apiVersion": "source.extensions.fluxcd.io/v1beta1",
                "kind": "ArtifactGenerator", "metadata": {"name": "g-%d" % i},
                "spec": {"sources": [
                    {"alias": "a", "kind": "GitRepository", "name": "s-%d" % i},
                    {"alias": "b", "kind": "GitRepository", "name": "t-%d" % i}],
                    "artifacts": [{"name": "g-%d-out" % i, "copy": [
                        {"from": "@a/deploy/**", "to": "@artifact/a/"},
                        {"from": "@b/deploy/values.yaml",
                         "to": "@artifact/a/values.yaml",
                         "strategy": "Merge"}]}]}}

    def ea(name, i):
        return {"apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "ExternalArtifact",
                "metadata": {"name": name, "namespace": ns, "labels": {
                    "app.kubernetes.io/managed-by": MANAGER,
                    "source.extensions.fluxcd.io/generator": UID}},
                "spec": {"sourceRef": {
                    "apiVersion": "source.extensions.fluxcd.io/v1beta1",
                    "kind": "ArtifactGenerator", "name": "g-%d" % i,
                    "namespace": ns}}}

    def ea_status(name):
        path = "externalartifact/%s/%s/1932399619.tar.gz" % (ns, name)
        return {"artifact": {
            "digest": DIGEST, "lastUpdateTime": now, "path": path,
            "revision": "latest@" + DIGEST, "size": 190,
            "url": "http://127.0.0.1:9090/" + path},
            "conditions": [{"lastTransitionTime": now,
                            "message": "Artifact is ready",
                            "reason": "Succeeded", "status": "True",
                            "type": "Ready"}]}

    def gen_status(i):
        return {"conditions": [{
            "lastTransitionTime": now, "observedGeneration": 1,
            "message": "reconciliation succeeded, generated 1 artifact(s)",
            "reason": "Succeeded", "status": "True", "type": "Ready"}],
            "inventory": [{"digest": DIGEST, "filename": "1932399619.tar.gz",
                           "name": "g-%d-out" % i, "namespace": ns}],
            "observedSourcesDigest": DIGEST}

    def event(i):
        return {"metadata": {"name": "g-%d.%x" % (i, time.time_ns()),
                             "namespace": ns},
                "involvedObject": {
                    "apiVersion": "source.extensions.fluxcd.io/v1beta1",
                    "kind": "ArtifactGenerator", "name": "g-%d" % i,
                    "namespace": ns, "uid": UID},
                "reason": "Succeeded", "type": "Normal",
                "message": "reconciliation succeeded, generated 1 artifact(s)",
                "source": {"component": MANAGER}, "count": 1,
                "firstTimestamp": now, "lastTimestamp": now}

    def post_gen(i):
        rv[i] = api.req("POST", gens, gen(i))["metadata"]["resourceVersion"]

    q = "?fieldManager=" + MANAGER
    rows = [
        ("create the generator (the user's)", post_gen),
        ("finalizer: merge patch", lambda i: api.req(
            "PATCH", "%s/g-%d%s" % (gens, i, q), {"metadata": {
                "finalizers": ["source.extensions.fluxcd.io/finalizer"],
                "resourceVersion": rv[i]}}, MERGE)),
        ("ExternalArtifact: apply", lambda i: api.req(
            "PATCH", "%s/g-%d-out%s&force=true" % (eas, i, q),
            ea("g-%d-out" % i, i), APPLY)),
        ("ExternalArtifact status: apply", lambda i: api.req(
            "PATCH", "%s/g-%d-out/status%s&force=true" % (eas, i, q),
            dict(ea("g-%d-out" % i, i), status=ea_status("g-%d-out" % i)),
            APPLY)),
        ("generator status: merge patch", lambda i: api.req(
            "PATCH", "%s/g-%d/status%s" % (gens, i, q),
            {"status": gen_status(i)}, MERGE)),
        ("Event: create", lambda i: api.req(
            "POST", "/api/v1/namespaces/%s/events" % ns, event(i))),
        ("(other way) ExternalArtifact: create", lambda i: api.req(
            "POST", eas + q, ea("c-%d-out" % i, i))),
        ("(other way) ExternalArtifact status: merge patch", lambda i: api.req(
            "PATCH", "%s/c-%d-out/status%s" % (eas, i, q),
            {"status": ea_status("c-%d-out" % i)}, MERGE)),
        ("(other way) generator status: apply", lambda i: api.req(
            "PATCH", "%s/g-%d/status?fieldManager=other&force=true" % (gens, i),
            dict(apiVersion="source.extensions.fluxcd.io/v1beta1",
                 kind="ArtifactGenerator",
                 metadata={"name": "g-%d" % i, "namespace": ns},
                 status=gen_status(i)), APPLY)),
        ("(read) GET the generator", lambda i: api.req(
            "GET", "%s/g-%d" % (gens, i))),
    ]
    apiserver = os.environ["PLANE_APISERVER_PID"]
    etcd = os.environ["PLANE_ETCD_PID"]
    per_gen = 0.0
    print("%-50s %14s %9s" % ("request (%d each, 8 in flight)" % n,
                              "API server ms", "etcd ms"))
    for i, (name, fn) in enumerate(rows):
        a0, e0 = cpu(apiserver), cpu(etcd)
        with ThreadPoolExecutor(8) as ex:
            list(ex.map(fn, range(n)))
        a, e = (cpu(apiserver) - a0) * 1000 / n, (cpu(etcd) - e0) * 1000 / n
        if i < 6:
            per_gen += a
        print("%-50s %14.2f %9.2f" % (name, a, e), flush=True)
    print("API server CPU per generator (its create and our five writes): "
          "%.1f ms; at 1000 generators on %d CPUs that alone is %.1f s" % (
              per_gen, os.cpu_count(), per_gen * 1000 / 1000.0 /
              os.cpu_count()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
