package deploy

import (
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestChartLint(t *testing.T) {
	for _, v := range []map[string]any{nil, values("keda.enabled", true, "autoscaling.enabled", false, "batch.enabled", true)} {
		l := lint.AllWithKubeVersion(chartDir, v, namespace, &oldestKube)
		for _, m := range l.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint (values %v): %s", v, m)
			}
		}
	}
}

func TestChartRenders(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		kinds  []string
	}{
		{"defaults", nil, []string{"Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"}},
		{"keda on queue depth", values("autoscaling.enabled", false, "keda.enabled", true),
			[]string{"Deployment", "PodDisruptionBudget", "ScaledObject", "Service", "ServiceMonitor"}},
		{"fixed replicas, service monitor", values("autoscaling.enabled", false, "serviceMonitor.enabled", true, "podDisruptionBudget.enabled", false),
			[]string{"Deployment", "Service", "ServiceMonitor"}},
		{"cache on a new PVC", values("cache.type", "persistentVolumeClaim"),
			[]string{"Deployment", "HorizontalPodAutoscaler", "PersistentVolumeClaim", "PodDisruptionBudget", "Service"}},
		{"cache on an existing PVC", values("cache.type", "persistentVolumeClaim", "cache.persistentVolumeClaim.existingClaim", "models"),
			[]string{"Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"}},
		{"indexed job", values("batch.enabled", true),
			[]string{"Deployment", "HorizontalPodAutoscaler", "Job", "PodDisruptionBudget", "Service"}},
		{"token and explicit resources", values("hfToken.existingSecret", "hf", "resources", map[string]any{"requests": map[string]any{"cpu": "4", "memory": "9Gi"}}),
			[]string{"Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := mustRender(t, tt.values)
			got := slices.Sorted(slices.Values(o.kinds))
			if !slices.Equal(got, tt.kinds) {
				t.Errorf("kinds %v, want %v", got, tt.kinds)
			}
			checkWiring(t, o)
		})
	}
}

func TestChartRefusesBadValues(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"two autoscalers", values("keda.enabled", true), "choose one"},
		{"unknown cache type", values("cache.type", "hostPath"), `cache.type "hostPath"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(tt.values)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// checkWiring checks that the objects point at each other: selectors match
// the pods, scalers target the Deployment, probes use the served port.
func checkWiring(t *testing.T, o *objects) {
	t.Helper()
	d := o.deployment
	if d == nil || o.service == nil {
		t.Fatal("no Deployment or Service")
	}
	if d.Name != fullname {
		t.Errorf("Deployment %q, want %q", d.Name, fullname)
	}
	pod := d.Spec.Template.Labels
	if !subset(d.Spec.Selector.MatchLabels, pod) {
		t.Errorf("Deployment selector %v does not match its pods %v", d.Spec.Selector.MatchLabels, pod)
	}
	if !subset(o.service.Spec.Selector, pod) {
		t.Errorf("Service selector %v does not match the pods %v", o.service.Spec.Selector, pod)
	}
	if p := o.pdb; p != nil && !subset(p.Spec.Selector.MatchLabels, pod) {
		t.Errorf("PodDisruptionBudget selector %v does not match the pods", p.Spec.Selector.MatchLabels)
	}
	if h := o.hpa; h != nil {
		if h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != d.Name {
			t.Errorf("HPA targets %+v", h.Spec.ScaleTargetRef)
		}
		if d.Spec.Replicas != nil {
			t.Error("Deployment sets replicas while an HPA scales it (every upgrade would reset the scale)")
		}
	}
	if s := o.scaledObject; s != nil {
		if s.Spec.ScaleTargetRef.Name != d.Name {
			t.Errorf("ScaledObject targets %q", s.Spec.ScaleTargetRef.Name)
		}
		if d.Spec.Replicas != nil {
			t.Error("Deployment sets replicas while KEDA scales it")
		}
		if o.serviceMonitor == nil {
			t.Error("KEDA's Prometheus query needs the ServiceMonitor")
		}
	}
	if m := o.serviceMonitor; m != nil {
		if !subset(m.Spec.Selector.MatchLabels, o.service.Labels) {
			t.Errorf("ServiceMonitor selector %v does not match the Service's labels %v", m.Spec.Selector.MatchLabels, o.service.Labels)
		}
		if len(m.Spec.Endpoints) != 1 || m.Spec.Endpoints[0].Port != o.service.Spec.Ports[0].Name || m.Spec.Endpoints[0].Path != "/metrics" {
			t.Errorf("ServiceMonitor endpoints %+v, want port %q path /metrics", m.Spec.Endpoints, o.service.Spec.Ports[0].Name)
		}
	}
	c := container(t, d.Spec.Template.Spec.Containers, "gembed")
	if o.service.Spec.Ports[0].TargetPort.StrVal != "http" || c.Ports[0].Name != "http" {
		t.Errorf("Service targets %v, container port is %q", o.service.Spec.Ports[0].TargetPort, c.Ports[0].Name)
	}
	for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.StrVal != "http" {
			t.Errorf("%s probe %+v: want an HTTP GET on port http", name, p)
		}
	}
	// Pods on the same cache volume share the model the init container downloaded.
	if cache := volume(d.Spec.Template.Spec.Volumes, "cache"); o.pvc != nil && (cache.PersistentVolumeClaim == nil || cache.PersistentVolumeClaim.ClaimName != o.pvc.Name) {
		t.Errorf("cache volume %+v does not use the PVC %q", cache, o.pvc.Name)
	}
	if j := o.job; j != nil {
		if j.Spec.CompletionMode == nil || *j.Spec.CompletionMode != "Indexed" || j.Spec.Completions == nil {
			t.Errorf("Job is not an Indexed Job with completions: %+v", j.Spec)
		}
		// The Job's pods serve nothing: no traffic, no disruption budget.
		jobPod := j.Spec.Template.Labels
		if subset(o.service.Spec.Selector, jobPod) || subset(d.Spec.Selector.MatchLabels, jobPod) ||
			(o.pdb != nil && subset(o.pdb.Spec.Selector.MatchLabels, jobPod)) {
			t.Errorf("the server's selectors match the Job's pods %v", jobPod)
		}
	}
}

func TestResourcesFromModelSize(t *testing.T) {
	tests := []struct {
		params         float64
		threads        int
		request, limit string
		cpu            string
	}{
		{0.6, 0, "4Gi", "5Gi", "2"}, // Qwen3-Embedding-0.6B: 2.4 GB of float32 weights
		{0.1, 0, "2Gi", "3Gi", "2"},
		{4, 8, "18Gi", "19Gi", "8"},
		{8, 16, "34Gi", "35Gi", "16"},
	}
	for _, tt := range tests {
		o := mustRender(t, values("model.parametersBillions", tt.params, "server.threads", tt.threads))
		r := container(t, o.deployment.Spec.Template.Spec.Containers, "gembed").Resources
		for what, pair := range map[string][2]resource.Quantity{
			"memory request": {r.Requests[corev1.ResourceMemory], resource.MustParse(tt.request)},
			"memory limit":   {r.Limits[corev1.ResourceMemory], resource.MustParse(tt.limit)},
			"cpu request":    {r.Requests[corev1.ResourceCPU], resource.MustParse(tt.cpu)},
		} {
			if pair[0].Cmp(pair[1]) != 0 {
				t.Errorf("%gB parameters, %d threads: %s %s, want %s", tt.params, tt.threads, what, pair[0].String(), pair[1].String())
			}
		}
		if _, ok := r.Limits[corev1.ResourceCPU]; ok {
			t.Error("a CPU limit only throttles the model")
		}
	}
}

func container(t *testing.T, cs []corev1.Container, name string) corev1.Container {
	t.Helper()
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %q", name)
	return corev1.Container{}
}

func volume(vs []corev1.Volume, name string) corev1.Volume {
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	return corev1.Volume{}
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
