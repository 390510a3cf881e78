// planeapply: the integration control plane's tiny client. It server-side
// applies YAML manifests (files, or directories holding a kustomization.yaml
// whose plain `resources:` list is followed in order) and waits for every
// CustomResourceDefinition it applied to become Established and for its
// resource to be listable: a new CRD's watch cache starts on first use, and
// until it is initialized list requests get 429 Too Many Requests (KEP-4568,
// ResilientWatchCacheInitialization), which tests should not have to meet.
//
// Called by scripts/plane-up.sh; built by scripts/plane-build.sh into the
// plane cache next to kube-apiserver. Test tooling only.
//
//	planeapply -kubeconfig FILE [-timeout 60s] PATH...
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	sigyaml "sigs.k8s.io/yaml"
)

const fieldManager = "artifact-generator-plane"

var crdGVR = schema.GroupVersionResource{
	Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions",
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of an identity allowed to apply everything")
	timeout := flag.Duration("timeout", 60*time.Second, "bound for the whole run, including waiting for CRDs")
	flag.Parse()
	if *kubeconfig == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: planeapply -kubeconfig FILE [-timeout 60s] PATH...")
		os.Exit(2)
	}
	if err := run(*kubeconfig, *timeout, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "planeapply:", err)
		os.Exit(1)
	}
}

func run(kubeconfig string, timeout time.Duration, paths []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	var objs []*unstructured.Unstructured
	for _, p := range paths {
		got, err := loadPath(p)
		if err != nil {
			return err
		}
		objs = append(objs, got...)
	}
	// Namespaces first, then CRDs, then the rest, each group in file order.
	sort.SliceStable(objs, func(i, j int) bool { return rank(objs[i]) < rank(objs[j]) })

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))

	start := time.Now()
	var crds []string
	for _, o := range objs {
		if err := apply(ctx, dyn, mapper, o); err != nil {
			return err
		}
		if o.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, o.GetName())
		}
	}
	applied := time.Since(start)
	// Each CRD's watch cache starts on its first list: wait for all at once.
	errs := make(chan error, len(crds))
	for _, name := range crds {
		go func() {
			gvr, err := waitEstablished(ctx, dyn, name)
			if err == nil {
				err = waitListable(ctx, dyn, gvr)
			}
			errs <- err
		}()
	}
	var firstErr error
	for range crds {
		if err := <-errs; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return firstErr
	}
	fmt.Printf("planeapply: %d objects applied in %.1f s, %d CRDs established and listable %.1f s later\n",
		len(objs), applied.Seconds(), len(crds), (time.Since(start) - applied).Seconds())
	return nil
}

func rank(o *unstructured.Unstructured) int {
	switch o.GetKind() {
	case "Namespace":
		return 0
	case "CustomResourceDefinition":
		return 1
	}
	return 2
}

// loadPath reads a YAML file, or a directory through its kustomization.yaml.
func loadPath(p string) ([]*unstructured.Unstructured, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return loadFile(p)
	}
	raw, err := os.ReadFile(filepath.Join(p, "kustomization.yaml"))
	if err != nil {
		return nil, fmt.Errorf("directory %s: %w", p, err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := sigyaml.Unmarshal(raw, &k); err != nil {
		return nil, fmt.Errorf("%s/kustomization.yaml: %w", p, err)
	}
	if len(k.Resources) == 0 {
		return nil, fmt.Errorf("%s/kustomization.yaml: no resources listed", p)
	}
	var out []*unstructured.Unstructured
	for _, r := range k.Resources {
		got, err := loadPath(filepath.Join(p, r))
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

func loadFile(p string) ([]*unstructured.Unstructured, error) {
	raw, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	var out []*unstructured.Unstructured
	for i := 0; ; i++ {
		var m map[string]interface{}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("%s: document %d: %w", p, i, err)
		}
		if len(m) == 0 {
			continue
		}
		o := &unstructured.Unstructured{Object: m}
		if o.GetKind() == "" || o.GetAPIVersion() == "" || o.GetName() == "" {
			return nil, fmt.Errorf("%s: document %d: apiVersion, kind and metadata.name are required", p, i)
		}
		out = append(out, o)
	}
}

func apply(ctx context.Context, dyn dynamic.Interface, mapper *restmapper.DeferredDiscoveryRESTMapper,
	o *unstructured.Unstructured) error {
	gvk := o.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		mapper.Reset() // a CRD applied earlier may serve this kind now
		if m, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return fmt.Errorf("%s %s: %w", gvk, o.GetName(), err)
		}
	}
	body, err := o.MarshalJSON()
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() == "namespace" {
		ns := o.GetNamespace()
		if ns == "" {
			ns = "default"
		}
		ri = dyn.Resource(m.Resource).Namespace(ns)
	}
	force := true
	_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: fieldManager, Force: &force})
	if err != nil {
		return fmt.Errorf("apply %s %s: %w", gvk.Kind, o.GetName(), err)
	}
	fmt.Printf("applied %s/%s\n", m.Resource.Resource, o.GetName())
	return nil
}

// waitEstablished polls the CRD until it is Established; returns the
// resource of its storage version.
func waitEstablished(ctx context.Context, dyn dynamic.Interface, name string) (schema.GroupVersionResource, error) {
	for {
		crd, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
		if err == nil && established(crd) {
			return storageGVR(crd)
		}
		if err := pause(ctx); err != nil {
			return schema.GroupVersionResource{}, fmt.Errorf("CRD %s not Established in time (last error: %v)", name, err)
		}
	}
}

// waitListable lists the resource until the API server answers it.
func waitListable(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource) error {
	for {
		_, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
		if err == nil {
			return nil
		}
		if err := pause(ctx); err != nil {
			return fmt.Errorf("%s not listable in time (last error: %v)", gvr, err)
		}
	}
}

func pause(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(100 * time.Millisecond):
		return nil
	}
}

func storageGVR(crd *unstructured.Unstructured) (schema.GroupVersionResource, error) {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		vm, ok := v.(map[string]interface{})
		if ok && vm["storage"] == true {
			name, _ := vm["name"].(string)
			return schema.GroupVersionResource{Group: group, Version: name, Resource: plural}, nil
		}
	}
	return schema.GroupVersionResource{}, fmt.Errorf("CRD %s has no storage version", crd.GetName())
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		cm, ok := c.(map[string]interface{})
		if ok && cm["type"] == "Established" && cm["status"] == "True" {
			return true
		}
	}
	return false
}
