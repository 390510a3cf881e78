# scripts/bench/gitrepositories.awk: prints a curl config (-K) whose entries
# create (phase=create) or set the status of (phase=status) n GitRepositories
# spread over nns namespaces "bench-XX", with a realistic spec and status
# (artifact path/url/revision/digest/size/lastUpdateTime, Ready and
# ArtifactInStorage conditions). Used by scripts/bench-informer.sh; each
# entry writes its HTTP status code on a line of its own.
function hex(n,   s) { s = ""; while (length(s) < n) s = s sprintf("%08x", int(rand() * 4294967296)); return substr(s, 1, n) }
function common() {
	printf "cacert = \"%s\"\nheader = \"Authorization: Bearer %s\"\noutput = \"/dev/null\"\nwrite-out = \"%%{http_code}\\n\"\nsilent\n", ca, token
}
BEGIN {
	srand(42)
	base = server "/apis/source.toolkit.fluxcd.io/v1/namespaces/"
	for (i = 0; i < n; i++) {
		ns = sprintf("bench-%02d", i % nns); name = sprintf("repo-%05d", i)
		if (phase == "create") {
			body = sprintf("{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"GitRepository\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"labels\":{\"app.kubernetes.io/part-of\":\"bench\"}},\"spec\":{\"url\":\"https://github.com/example-org/app-%05d\",\"interval\":\"5m\",\"timeout\":\"60s\",\"ref\":{\"branch\":\"main\"}}}", name, ns, i)
			url = base ns "/gitrepositories"; method = "POST"; ctype = "application/json"
		} else {
			sha1 = hex(40); sha256 = hex(64)
			path = sprintf("gitrepository/%s/%s/%s.tar.gz", ns, name, sha1)
			rev = "main@sha1:" sha1
			msg = "stored artifact for revision '" rev "'"
			cond = "\"observedGeneration\":1,\"lastTransitionTime\":\"2026-11-22T04:00:00Z\",\"reason\":\"Succeeded\",\"message\":\"" msg "\""
			body = sprintf("{\"status\":{\"observedGeneration\":1,\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",%s},{\"type\":\"ArtifactInStorage\",\"status\":\"True\",%s}],\"artifact\":{\"path\":\"%s\",\"url\":\"http://source-controller.flux-system.svc.cluster.local./%s\",\"revision\":\"%s\",\"digest\":\"sha256:%s\",\"lastUpdateTime\":\"2026-11-22T04:00:00Z\",\"size\":%d}}}", cond, cond, path, path, rev, sha256, 20000 + i % 5000)
			url = base ns "/gitrepositories/" name "/status"; method = "PATCH"; ctype = "application/merge-patch+json"
		}
		gsub(/"/, "\\\"", body)
		printf "url = \"%s\"\nrequest = \"%s\"\nheader = \"Content-Type: %s\"\ndata = \"%s\"\n", url, method, ctype, body
		common()
		if (i < n - 1) print "next"
	}
}
