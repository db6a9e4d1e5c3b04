{{- define "gembed.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gembed.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "gembed.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "gembed.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "gembed.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gembed.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The server's pods: the Service, the PDB and the scalers select these,
never the batch Job's pods. */}}
{{- define "gembed.serverSelectorLabels" -}}
{{ include "gembed.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "gembed.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "gembed.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "gembed.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Memory request in GiB from the model size: float32 weights + 1.5 GiB. */}}
{{- define "gembed.memoryGi" -}}
{{- ceil (addf (mulf .Values.model.parametersBillions 4) 1.5) | int -}}
{{- end -}}

{{- define "gembed.resources" -}}
{{- if .Values.resources -}}
{{- toYaml .Values.resources -}}
{{- else -}}
{{- $mem := include "gembed.memoryGi" . | int -}}
requests:
  cpu: {{ .Values.server.threads | default 2 | quote }}
  memory: {{ printf "%dGi" $mem }}
limits:
  memory: {{ printf "%dGi" (add $mem 1) }}
{{- end -}}
{{- end -}}

{{/* Environment shared by the init container, the server and the Job. */}}
{{- define "gembed.hubEnv" -}}
- name: HF_HOME
  value: /data/hf
{{- if .Values.hfToken.existingSecret }}
- name: HF_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.hfToken.existingSecret }}
      key: {{ .Values.hfToken.key }}
{{- end }}
{{- end -}}

{{/* The init container: fills the cache so the server starts offline. */}}
{{- define "gembed.downloadContainer" -}}
- name: download
  image: {{ include "gembed.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args:
    - download
    - --revision
    - {{ .Values.model.revision | quote }}
    - {{ .Values.model.id | quote }}
  env:
    {{- include "gembed.hubEnv" . | nindent 4 }}
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  volumeMounts:
    - name: cache
      mountPath: /data
    - name: tmp
      mountPath: /tmp
{{- end -}}

{{- define "gembed.cacheVolume" -}}
- name: cache
{{- if eq .Values.cache.type "persistentVolumeClaim" }}
  persistentVolumeClaim:
    claimName: {{ .Values.cache.persistentVolumeClaim.existingClaim | default (printf "%s-cache" (include "gembed.fullname" .)) }}
{{- else if eq .Values.cache.type "emptyDir" }}
  emptyDir:
    sizeLimit: {{ .Values.cache.sizeLimit }}
{{- else }}
{{- fail (printf "cache.type %q: want emptyDir or persistentVolumeClaim" .Values.cache.type) }}
{{- end }}
- name: tmp
  emptyDir: {}
{{- end -}}
