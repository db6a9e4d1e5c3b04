package deploy

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const (
	chartDir  = "helm/gembed"
	release   = "emb"
	namespace = "ml"
	fullname  = "emb-gembed"
)

// oldestKube is the oldest Kubernetes the chart supports: the preStop
// sleep action is on by default from 1.30.
var oldestKube = chartutil.KubeVersion{Version: "v1.30.0", Major: "1", Minor: "30"}

// scaledObject is KEDA's ScaledObject (keda.sh/v1alpha1) as far as the
// chart uses it, with the field names of KEDA's CRD schema; decoding is
// strict, so a misspelt or misplaced field fails.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion,omitempty"`
			Kind       string `json:"kind,omitempty"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		PollingInterval *int32 `json:"pollingInterval,omitempty"`
		CooldownPeriod  *int32 `json:"cooldownPeriod,omitempty"`
		MinReplicaCount *int32 `json:"minReplicaCount,omitempty"`
		MaxReplicaCount *int32 `json:"maxReplicaCount,omitempty"`
		Triggers        []struct {
			Type       string            `json:"type"`
			MetricType string            `json:"metricType,omitempty"`
			Metadata   map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

// objects is one rendering of the chart, by kind.
type objects struct {
	deployment     *appsv1.Deployment
	service        *corev1.Service
	pvc            *corev1.PersistentVolumeClaim
	pdb            *policyv1.PodDisruptionBudget
	hpa            *autoscalingv2.HorizontalPodAutoscaler
	scaledObject   *scaledObject
	serviceMonitor *monitoringv1.ServiceMonitor
	job            *batchv1.Job
	kinds          []string
}

// render renders the chart as `helm install emb -n ml` would with these
// values (merged over values.yaml).
func render(values map[string]any) (*objects, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = oldestKube
	if !chartutil.IsCompatibleRange(ch.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("kubeVersion %q excludes Kubernetes %s", ch.Metadata.KubeVersion, caps.KubeVersion.String())
	}
	vals, err := chartutil.ToRenderValues(ch, values, chartutil.ReleaseOptions{Name: release, Namespace: namespace, IsInstall: true}, caps)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	o := &objects{}
	for _, name := range names {
		if path.Ext(name) != ".yaml" || strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		for i, doc := range strings.Split(files[name], "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			if err := o.decode([]byte(doc)); err != nil {
				return nil, fmt.Errorf("%s document %d: %w\n%s", name, i, err, doc)
			}
		}
	}
	return o, nil
}

// decode strictly decodes one manifest into its API type: an unknown or
// misplaced field, or a kind the chart should not make, is an error.
func (o *objects) decode(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	id := tm.APIVersion + "/" + tm.Kind
	var target any
	switch id {
	case "apps/v1/Deployment":
		o.deployment = &appsv1.Deployment{}
		target = o.deployment
	case "v1/Service":
		o.service = &corev1.Service{}
		target = o.service
	case "v1/PersistentVolumeClaim":
		o.pvc = &corev1.PersistentVolumeClaim{}
		target = o.pvc
	case "policy/v1/PodDisruptionBudget":
		o.pdb = &policyv1.PodDisruptionBudget{}
		target = o.pdb
	case "autoscaling/v2/HorizontalPodAutoscaler":
		o.hpa = &autoscalingv2.HorizontalPodAutoscaler{}
		target = o.hpa
	case "keda.sh/v1alpha1/ScaledObject":
		o.scaledObject = &scaledObject{}
		target = o.scaledObject
	case "monitoring.coreos.com/v1/ServiceMonitor":
		o.serviceMonitor = &monitoringv1.ServiceMonitor{}
		target = o.serviceMonitor
	case "batch/v1/Job":
		o.job = &batchv1.Job{}
		target = o.job
	default:
		return fmt.Errorf("unexpected object %s", id)
	}
	for _, k := range o.kinds {
		if k == tm.Kind {
			return fmt.Errorf("two %s objects", tm.Kind)
		}
	}
	o.kinds = append(o.kinds, tm.Kind)
	return yaml.UnmarshalStrict(doc, target)
}

func mustRender(t *testing.T, values map[string]any) *objects {
	t.Helper()
	o, err := render(values)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// values builds a values map from "a.b.c" paths.
func values(kv ...any) map[string]any {
	root := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		parts := strings.Split(kv[i].(string), ".")
		m := root
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = kv[i+1]
	}
	return root
}
