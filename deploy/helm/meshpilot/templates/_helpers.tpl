{{- define "meshpilot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "meshpilot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meshpilot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "meshpilot.labels" -}}
{{ include "meshpilot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "meshpilot.caSecret" -}}
{{- if .Values.ca.create -}}{{ include "meshpilot.name" . }}-ca{{- else -}}{{ required "ca.existingSecret (or ca.create with ca.files) is required: every replica must sign with one CA" .Values.ca.existingSecret }}{{- end -}}
{{- end -}}

{{/* meshpilot.yaml: what the chart decides (ports, mounted paths), with the values merged over it. */}}
{{- define "meshpilot.config" -}}
{{- $cc := .Values.configCluster -}}
{{- $base := dict
  "meshId" .Values.meshId
  "trustDomain" .Values.trustDomain
  "domainSuffix" .Values.domainSuffix
  "listen" (dict
    "xds" (printf "0.0.0.0:%d" (int .Values.ports.xds))
    "xdsTls" (printf "0.0.0.0:%d" (int .Values.ports.xdsTls))
    "admin" (printf "0.0.0.0:%d" (int .Values.ports.admin)))
  "clusters" (list (dict
    "name" (required "configCluster.name is required" $cc.name)
    "network" (required "configCluster.network is required" $cc.network)
    "kubeconfig" (printf "/etc/meshpilot/config-cluster/%s" $cc.name)))
  "config" (list (dict "cluster" $cc.name))
  "security" (mustMergeOverwrite (dict "caDir" "/etc/meshpilot/ca" "tokenReviewCluster" $cc.name) (deepCopy .Values.security))
-}}
{{- if $cc.remoteSecretsNamespace -}}
{{- $_ := set $base "remoteSecrets" (dict "cluster" $cc.name "namespace" $cc.remoteSecretsNamespace) -}}
{{- end -}}
{{- toYaml (mustMergeOverwrite $base (deepCopy .Values.config)) -}}
{{- end -}}
