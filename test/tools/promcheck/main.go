// promcheck parses Prometheus text format 0.0.4 with the Prometheus
// project's own parser (github.com/prometheus/common/expfmt, what the
// Prometheus server's scrapes are built on) and checks what the parser
// leaves to the exposer: histogram buckets cumulative and ending in +Inf
// equal to _count, counters not negative. It then prints one line per
// sample, sorted, labels sorted:
//   <name>{<k>="<v>",...} <value>
// (histograms as <name>_bucket{...,le="..."}, <name>_sum, <name>_count),
// so tests can grep values. Exit 1 with a message on any error.
// Usage: promcheck [FILE] (stdin without FILE). Test tooling only.
package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func main() {
	in := io.Reader(os.Stdin)
	if len(os.Args) == 2 {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fail(err)
		}
		defer f.Close()
		in = f
	} else if len(os.Args) > 2 {
		fmt.Fprintln(os.Stderr, "usage: promcheck [FILE]")
		os.Exit(2)
	}
	// Classic names only ([a-zA-Z_:][a-zA-Z0-9_:]*), as format 0.0.4.
	model.NameValidationScheme = model.LegacyValidation
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(in)
	if err != nil {
		fail(err)
	}
	var lines []string
	for name, mf := range fams {
		for _, m := range mf.GetMetric() {
			ls, err := sample(name, mf.GetType(), m)
			if err != nil {
				fail(err)
			}
			lines = append(lines, ls...)
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
}

func labels(m *dto.Metric, extra ...string) string {
	var kv []string
	for _, lp := range m.GetLabel() {
		kv = append(kv, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
	}
	kv = append(kv, extra...)
	sort.Strings(kv)
	if len(kv) == 0 {
		return ""
	}
	return "{" + strings.Join(kv, ",") + "}"
}

func num(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func sample(name string, t dto.MetricType, m *dto.Metric) ([]string, error) {
	l := labels(m)
	switch t {
	case dto.MetricType_COUNTER:
		v := m.GetCounter().GetValue()
		if v < 0 || math.IsNaN(v) {
			return nil, fmt.Errorf("%s%s: counter value %v", name, l, v)
		}
		return []string{name + l + " " + num(v)}, nil
	case dto.MetricType_GAUGE:
		return []string{name + l + " " + num(m.GetGauge().GetValue())}, nil
	case dto.MetricType_UNTYPED:
		return []string{name + l + " " + num(m.GetUntyped().GetValue())}, nil
	case dto.MetricType_HISTOGRAM:
		return histogram(name, m)
	}
	return nil, fmt.Errorf("%s%s: unexpected type %v", name, l, t)
}

func histogram(name string, m *dto.Metric) ([]string, error) {
	h := m.GetHistogram()
	l := labels(m)
	var out []string
	prev, prevLe := uint64(0), math.Inf(-1)
	inf := false
	for _, b := range h.GetBucket() {
		le := b.GetUpperBound()
		if le <= prevLe {
			return nil, fmt.Errorf("%s%s: bucket le=%v after le=%v", name, l, le, prevLe)
		}
		if b.GetCumulativeCount() < prev {
			return nil, fmt.Errorf("%s%s: bucket le=%v is not cumulative", name, l, le)
		}
		prev, prevLe = b.GetCumulativeCount(), le
		inf = math.IsInf(le, 1)
		les := num(le)
		if inf {
			les = "+Inf"
		}
		out = append(out, name+"_bucket"+labels(m, fmt.Sprintf("le=%q", les))+" "+strconv.FormatUint(prev, 10))
	}
	// The parser adds no +Inf bucket of its own: the exposer must.
	if !inf || prev != h.GetSampleCount() {
		return nil, fmt.Errorf("%s%s: +Inf bucket missing or not equal to _count %d", name, l, h.GetSampleCount())
	}
	out = append(out, name+"_sum"+l+" "+num(h.GetSampleSum()),
		name+"_count"+l+" "+strconv.FormatUint(h.GetSampleCount(), 10))
	return out, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "promcheck:", err)
	os.Exit(1)
}
