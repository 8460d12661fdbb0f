{{- define "member.labels" -}}
app.kubernetes.io/name: meshpilot-member
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "member.istiodName" -}}
istiod{{- if .Values.revision }}-{{ .Values.revision }}{{- end -}}
{{- end -}}

{{- define "member.addressType" -}}
{{- $a := .Values.meshpilotAddress -}}
{{- if regexMatch "^([0-9]+\\.){3}[0-9]+$" $a -}}IPv4{{- else if regexMatch "^([0-9a-fA-F]*:)+[0-9a-fA-F]*$" $a -}}IPv6{{- end -}}
{{- end -}}

{{- /* One webhook's client (url, else the istiod Service on 443 at path), caBundle and admission settings. */ -}}
{{- define "member.webhookClient" }}
  clientConfig:
    {{- if .url }}
    url: {{ .url | quote }}
    {{- else }}
    service:
      name: {{ .service }}
      namespace: {{ .namespace | quote }}
      path: {{ .path | quote }}
      port: 443
    {{- end }}
    caBundle: {{ .caBundle | quote }}
  sideEffects: None
  failurePolicy: Fail
  admissionReviewVersions: ["v1"]
{{- end }}
