{{/* Chart name, truncated to the 63 characters Kubernetes names allow. */}}
{{- define "recall.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; a role's objects append "-<role>". */}}
{{- define "recall.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "recall.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "recall.labels" -}}
helm.sh/chart: {{ include "recall.chart" . }}
app.kubernetes.io/name: {{ include "recall.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one role: (dict "root" $ "role" "coordinator") */}}
{{- define "recall.selectorLabels" -}}
app.kubernetes.io/name: {{ include "recall.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{- define "recall.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "recall.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "recall.secretName" -}}
{{- default (printf "%s-secrets" (include "recall.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{- define "recall.configName" -}}
{{- printf "%s-config" (include "recall.fullname" .) }}
{{- end }}

{{- define "recall.storageConfigName" -}}
{{- printf "%s-storage" (include "recall.fullname" .) }}
{{- end }}

{{/* Image of one role: (dict "root" $ "values" .Values.coordinator) */}}
{{- define "recall.image" -}}
{{- printf "%s%s:%s" .root.Values.image.registry .values.image.repository (default .root.Chart.AppVersion .root.Values.image.tag) }}
{{- end }}

{{/* Checks on values that no schema can express; renders nothing. */}}
{{- define "recall.validate" -}}
{{- $ids := .Values.secrets.keyIds }}
{{- if not $ids }}
{{- fail "secrets.keyIds must name at least one key id" }}
{{- end }}
{{- range $ids }}
{{- if not (regexMatch "^[a-z0-9]+$" (toString .)) }}
{{- fail (printf "secrets.keyIds: %q must be lower-case letters and digits (it becomes the environment variable RECALL_SECRETS_KEYS_<ID>)" (toString .)) }}
{{- end }}
{{- end }}
{{- if not (has .Values.secrets.activeKeyId $ids) }}
{{- fail (printf "secrets.activeKeyId %q is not one of secrets.keyIds %v" .Values.secrets.activeKeyId $ids) }}
{{- end }}
{{- if and (not .Values.secrets.existingSecret) (ne (empty .Values.storage.accessKey) (empty .Values.storage.secretKey)) }}
{{- fail "storage.accessKey and storage.secretKey go together: set both, or neither to use the AWS default credentials chain" }}
{{- end }}
{{- if and .Values.secrets.adminToken (lt (len .Values.secrets.adminToken) 32) }}
{{- fail "secrets.adminToken must be at least 32 characters" }}
{{- end }}
{{- end }}

{{/*
Environment every role shares: the shared ConfigMap, and the keyring from the Secret.
(dict "root" $)
*/}}
{{- define "recall.sharedEnv" -}}
{{- $secret := include "recall.secretName" .root }}
{{- range .root.Values.secrets.keyIds }}
- name: RECALL_SECRETS_KEYS_{{ upper . }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: secrets-key-{{ . }}
{{- end }}
{{- end }}

{{/* S3 credentials from the Secret, when it has them (absent = AWS default credentials chain). */}}
{{- define "recall.storageEnv" -}}
{{- $secret := include "recall.secretName" .root }}
- name: RECALL_STORAGE_ACCESSKEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: s3-access-key
      optional: true
- name: RECALL_STORAGE_SECRETKEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: s3-secret-key
      optional: true
{{- end }}

{{/* One HTTP probe: (dict "probe" .values.probes.liveness) */}}
{{- define "recall.httpProbe" -}}
httpGet:
  path: {{ .probe.path }}
  port: http
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end }}

{{/* Annotations that roll a role's pods when the chart's configuration or Secret changes. */}}
{{- define "recall.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}

{{/*
Pod spec parts every role shares: service account, security contexts, /tmp volume.
*/}}
{{- define "recall.podCommon" -}}
serviceAccountName: {{ include "recall.serviceAccountName" .root }}
automountServiceAccountToken: false
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ .values.terminationGracePeriodSeconds }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .values.tmpSizeLimit }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
