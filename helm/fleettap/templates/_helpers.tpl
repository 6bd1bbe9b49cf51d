{{/*
The chart's name, and the prefix of every resource's name (at most 63 characters, a DNS label).
*/}}
{{- define "fleettap.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fleettap.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Names of the two workloads; the suffix stays whole when the prefix is long. */}}
{{- define "fleettap.collectorName" -}}
{{- printf "%s-collector" (include "fleettap.fullname" . | trunc 53 | trimSuffix "-") }}
{{- end }}

{{- define "fleettap.agentName" -}}
{{- printf "%s-agent" (include "fleettap.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{/* The headless Service a StatefulSet needs for its pods' network identity. */}}
{{- define "fleettap.collectorHeadlessName" -}}
{{- printf "%s-collector-headless" (include "fleettap.fullname" . | trunc 44 | trimSuffix "-") }}
{{- end }}

{{- define "fleettap.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every resource; "component" is added per workload. */}}
{{- define "fleettap.labels" -}}
helm.sh/chart: {{ include "fleettap.chart" . }}
app.kubernetes.io/name: {{ include "fleettap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "fleettap.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fleettap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "fleettap.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Where the agents find the collector: the chart's Service, or agent.collectorAddress. */}}
{{- define "fleettap.collectorAddress" -}}
{{- if .Values.agent.collectorAddress }}
{{- .Values.agent.collectorAddress }}
{{- else }}
{{- printf "%s.%s.svc:%d" (include "fleettap.collectorName" .) .Release.Namespace (int .Values.collector.port) }}
{{- end }}
{{- end }}

{{/*
Checks across values that the schema cannot express; each failure names the values and what to change.
*/}}
{{- define "fleettap.validate" -}}
{{- if and (not .Values.kafka.bootstrap) .Values.kafka.topic }}
{{- fail "kafka.topic is set but kafka.bootstrap is empty: set kafka.bootstrap (HOST:PORT,...) or unset kafka.topic" }}
{{- end }}
{{- if and (not .Values.kafka.bootstrap) .Values.kafka.group }}
{{- fail "kafka.group is set but kafka.bootstrap is empty: set kafka.bootstrap (HOST:PORT,...) or unset kafka.group" }}
{{- end }}
{{- if and (eq .Values.agent.storage.type "hostPath") (not .Values.agent.storage.hostPath) }}
{{- fail "agent.storage.hostPath is empty while agent.storage.type is hostPath: name a directory on the node, or use type emptyDir" }}
{{- end }}
{{- end }}

{{/* The Kafka flags both daemons take, one argument each. */}}
{{- define "fleettap.kafkaArgs" -}}
{{- if .Values.kafka.bootstrap }}
- {{ printf "--kafka=%s" .Values.kafka.bootstrap | quote }}
{{- if .Values.kafka.topic }}
- {{ printf "--kafka-topic=%s" .Values.kafka.topic | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* The TLS Secret volume of one workload (the Secret's name is the argument). */}}
{{- define "fleettap.tlsVolume" -}}
{{- if . }}
- name: tls
  secret:
    secretName: {{ . }}
    defaultMode: 0400
{{- end }}
{{- end }}

{{- define "fleettap.tlsMount" -}}
{{- if .secret }}
- name: tls
  mountPath: {{ .mountPath }}
  readOnly: true
{{- end }}
{{- end }}
