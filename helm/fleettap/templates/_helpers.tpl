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

{{/* The agents' policy ConfigMap: the chart's own (agent.policy) or agent.existingPolicyConfigMap. */}}
{{- define "fleettap.policyConfigMapName" -}}
{{- if .Values.agent.existingPolicyConfigMap }}
{{- .Values.agent.existingPolicyConfigMap }}
{{- else }}
{{- printf "%s-agent-policy" (include "fleettap.fullname" . | trunc 50 | trimSuffix "-") }}
{{- end }}
{{- end }}

{{/* The Kafka client properties' Secret: the chart's own (kafka.config) or kafka.existingConfigSecret. */}}
{{- define "fleettap.kafkaConfigSecretName" -}}
{{- if .Values.kafka.existingConfigSecret }}
{{- .Values.kafka.existingConfigSecret }}
{{- else }}
{{- printf "%s-kafka-config" (include "fleettap.fullname" . | trunc 50 | trimSuffix "-") }}
{{- end }}
{{- end }}

{{/* Where each file the daemons read from a volume is mounted (fixed: the values name the sources only). */}}
{{- define "fleettap.policyDir" -}}/etc/fleettap/policy{{- end }}
{{- define "fleettap.kafkaConfigDir" -}}/etc/fleettap/kafka{{- end }}

{{/*
Checks across values that the schema cannot express; each failure names the values and what to change.
*/}}
{{- define "fleettap.validate" -}}
{{- $tls := .Values.tls }}
{{- if .Values.insecure }}
{{- $set := list }}
{{- if $tls.collectorSecret }}{{ $set = append $set "tls.collectorSecret" }}{{ end }}
{{- if $tls.agentSecret }}{{ $set = append $set "tls.agentSecret" }}{{ end }}
{{- if $set }}
{{- fail (printf "insecure=true and %s cannot be used together: unset insecure for TLS with the Secret, or the Secret for plaintext" (join " and " $set)) }}
{{- end }}
{{- else }}
{{- $missing := list }}
{{- if not $tls.collectorSecret }}{{ $missing = append $missing "tls.collectorSecret" }}{{ end }}
{{- if not $tls.agentSecret }}{{ $missing = append $missing "tls.agentSecret" }}{{ end }}
{{- if $missing }}
{{- fail (printf "%s %s empty: the daemons talk TLS by default; name Secrets made from 'fleettap certs' (see the chart's README), or set insecure=true for plaintext gRPC without authentication" (join " and " $missing) (ternary "is" "are" (eq (len $missing) 1))) }}
{{- end }}
{{- end }}
{{- if and (not .Values.kafka.bootstrap) .Values.kafka.topic }}
{{- fail "kafka.topic is set but kafka.bootstrap is empty: set kafka.bootstrap (HOST:PORT,...) or unset kafka.topic" }}
{{- end }}
{{- if and (not .Values.kafka.bootstrap) .Values.kafka.group }}
{{- fail "kafka.group is set but kafka.bootstrap is empty: set kafka.bootstrap (HOST:PORT,...) or unset kafka.group" }}
{{- end }}
{{- if and (not .Values.kafka.bootstrap) .Values.kafka.config }}
{{- fail "kafka.config is set but kafka.bootstrap is empty: set kafka.bootstrap (HOST:PORT,...) or unset kafka.config" }}
{{- end }}
{{- if and (not .Values.kafka.bootstrap) .Values.kafka.existingConfigSecret }}
{{- fail "kafka.existingConfigSecret is set but kafka.bootstrap is empty: set kafka.bootstrap (HOST:PORT,...) or unset kafka.existingConfigSecret" }}
{{- end }}
{{- if and .Values.kafka.config .Values.kafka.existingConfigSecret }}
{{- fail "kafka.config and kafka.existingConfigSecret cannot be used together: give the properties, or the Secret that holds kafka.properties" }}
{{- end }}
{{- if and .Values.agent.policy .Values.agent.existingPolicyConfigMap }}
{{- fail "agent.policy and agent.existingPolicyConfigMap cannot be used together: give the policy's YAML, or the ConfigMap that holds policy.yaml" }}
{{- end }}
{{- with .Values.agent.policy }}
{{- $policy := fromYaml . }}
{{- if hasKey $policy "Error" }}
{{- fail (printf "agent.policy is not a YAML mapping (docs/policy.md): %s" $policy.Error) }}
{{- end }}
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
{{- if or .Values.kafka.config .Values.kafka.existingConfigSecret }}
- {{ printf "--kafka-config=%s/kafka.properties" (include "fleettap.kafkaConfigDir" .) | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* How both daemons secure their gRPC: the TLS Secret's directory, or plaintext when insecure. */}}
{{- define "fleettap.securityArgs" -}}
{{- if .Values.insecure }}
- --insecure
{{- else }}
- {{ printf "--tls-dir=%s" .Values.tls.mountPath | quote }}
{{- end }}
{{- end }}

{{/*
The volumes both daemons read from: the TLS Secret (its name is .secret), and the Kafka client properties. A Secret
volume's files are read-only to their owner (root); in the collector's pod the fsGroup adds the group's read.
*/}}
{{- define "fleettap.configVolumes" -}}
{{- if .secret }}
- name: tls
  secret:
    secretName: {{ .secret }}
    defaultMode: 0400
{{- end }}
{{- with .root.Values.kafka }}
{{- if and .bootstrap (or .config .existingConfigSecret) }}
- name: kafka-config
  secret:
    secretName: {{ include "fleettap.kafkaConfigSecretName" $.root }}
    defaultMode: 0400
{{- end }}
{{- end }}
{{- end }}

{{- define "fleettap.configMounts" -}}
{{- if .secret }}
- name: tls
  mountPath: {{ .root.Values.tls.mountPath }}
  readOnly: true
{{- end }}
{{- with .root.Values.kafka }}
{{- if and .bootstrap (or .config .existingConfigSecret) }}
- name: kafka-config
  mountPath: {{ include "fleettap.kafkaConfigDir" $.root }}
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/*
Pod annotations: the values' own, and a checksum of each file the chart renders for the pod, so that a change rolls
the pods (the daemons read these files at start).
*/}}
{{- define "fleettap.podAnnotations" -}}
{{- $annotations := dict }}
{{- if and .root.Values.kafka.bootstrap .root.Values.kafka.config }}
{{- $_ := set $annotations "checksum/kafka-config" (include "fleettap.kafkaProperties" .root | sha256sum) }}
{{- end }}
{{- if and .policy .root.Values.agent.policy }}
{{- $_ := set $annotations "checksum/policy" (.root.Values.agent.policy | sha256sum) }}
{{- end }}
{{- $annotations = merge $annotations .annotations }}
{{- with $annotations }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/*
kafka.config as a Java properties file, one key=value a line in key order; backslashes and line breaks in values
are escaped as the properties format reads them.
*/}}
{{- define "fleettap.kafkaProperties" -}}
# Kafka client properties for the fleettap daemons (--kafka-config), from the chart's kafka.config.
{{- range $key, $value := .Values.kafka.config }}
{{ $key }}={{ $value | replace "\\" "\\\\" | replace "\n" "\\n" | replace "\r" "\\r" }}
{{- end }}
{{- end }}
