// kbuild: renders a kustomization the way `kubectl apply -k` does (the
// kustomize API, default options: load restrictions root-only), for
// test/integration/manifests.sh, which has no kubectl. Each rendered object
// is written as DIR/NN.json, and one line per object goes to stdout:
//
//	KIND NAMESPACE NAME API-PATH FILE
//
// NAMESPACE is "-" for cluster-scoped kinds; API-PATH is the object's URL
// path on the API server (what a server-side apply PATCHes). Kinds outside
// the table below are an error naming the object, so a manifest of a new
// kind cannot slip past the test unapplied. Test tooling only.
//
//	kbuild -out DIR KUSTOMIZATION-DIR
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

type kindInfo struct {
	prefix     string // "/api/v1" or "/apis/GROUP/VERSION"
	plural     string
	namespaced bool
}

var kinds = map[string]kindInfo{
	"v1/Namespace":      {"/api/v1", "namespaces", false},
	"v1/ServiceAccount": {"/api/v1", "serviceaccounts", true},
	"v1/Service":        {"/api/v1", "services", true},
	"apiextensions.k8s.io/v1/CustomResourceDefinition":                 {"/apis/apiextensions.k8s.io/v1", "customresourcedefinitions", false},
	"rbac.authorization.k8s.io/v1/ClusterRole":                         {"/apis/rbac.authorization.k8s.io/v1", "clusterroles", false},
	"rbac.authorization.k8s.io/v1/ClusterRoleBinding":                  {"/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", false},
	"rbac.authorization.k8s.io/v1/Role":                                {"/apis/rbac.authorization.k8s.io/v1", "roles", true},
	"rbac.authorization.k8s.io/v1/RoleBinding":                         {"/apis/rbac.authorization.k8s.io/v1", "rolebindings", true},
	"apps/v1/Deployment":                                               {"/apis/apps/v1", "deployments", true},
	"networking.k8s.io/v1/NetworkPolicy":                               {"/apis/networking.k8s.io/v1", "networkpolicies", true},
	"admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy":        {"/apis/admissionregistration.k8s.io/v1", "validatingadmissionpolicies", false},
	"admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding": {"/apis/admissionregistration.k8s.io/v1", "validatingadmissionpolicybindings", false},
}

func main() {
	out := flag.String("out", "", "directory for the rendered objects (created)")
	flag.Parse()
	if *out == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: kbuild -out DIR KUSTOMIZATION-DIR")
		os.Exit(2)
	}
	if err := run(*out, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "kbuild:", err)
		os.Exit(1)
	}
}

func run(out, dir string) error {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return fmt.Errorf("kustomization %s: %w", dir, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for i, r := range rm.Resources() {
		gvk := r.GetGvk()
		key := gvk.Kind
		if gvk.Group == "" {
			key = gvk.Version + "/" + key
		} else {
			key = gvk.Group + "/" + gvk.Version + "/" + key
		}
		info, ok := kinds[key]
		if !ok {
			return fmt.Errorf("%s %s: kind not in kbuild's table", key, r.GetName())
		}
		ns, path := "-", info.prefix
		if info.namespaced {
			ns = r.GetNamespace()
			if ns == "" {
				return fmt.Errorf("%s %s: namespaced kind without a namespace", key, r.GetName())
			}
			path += "/namespaces/" + ns
		}
		path += "/" + info.plural + "/" + r.GetName()
		body, err := r.MarshalJSON()
		if err != nil {
			return fmt.Errorf("%s %s: %w", key, r.GetName(), err)
		}
		file := filepath.Join(out, fmt.Sprintf("%02d.json", i))
		if err := os.WriteFile(file, body, 0o644); err != nil {
			return err
		}
		fmt.Println(strings.Join([]string{gvk.Kind, ns, r.GetName(), path, file}, " "))
	}
	return nil
}
