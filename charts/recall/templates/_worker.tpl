{{/*
Deployment of a worker role.
(dict "root" $ "role" "stream-worker" "values" .Values.streamWorker "env" (list of the role's own env entries))
*/}}
{{- define "recall.workerDeployment" -}}
{{- $root := .root }}
{{- $v := .values }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "recall.fullname" $root }}-{{ .role }}
  labels:
    {{- include "recall.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .role }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "recall.selectorLabels" (dict "root" $root "role" .role) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "recall.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .role }}
      annotations:
        {{- include "recall.checksums" $root | nindent 8 }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "recall.podCommon" (dict "root" $root "values" $v) | nindent 6 }}
      containers:
        - name: {{ .role }}
          image: {{ include "recall.image" (dict "root" $root "values" $v) }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $v.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "recall.configName" $root }}
            - configMapRef:
                name: {{ include "recall.storageConfigName" $root }}
          env:
            {{- toYaml .env | nindent 12 }}
            {{- include "recall.sharedEnv" (dict "root" $root) | trim | nindent 12 }}
            {{- include "recall.storageEnv" (dict "root" $root) | trim | nindent 12 }}
            {{- with $v.javaOpts }}
            - name: JAVA_OPTS
              value: {{ . | quote }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          livenessProbe:
            {{- include "recall.httpProbe" (dict "probe" $v.probes.liveness) | nindent 12 }}
          readinessProbe:
            {{- include "recall.httpProbe" (dict "probe" $v.probes.readiness) | nindent 12 }}
          startupProbe:
            {{- include "recall.httpProbe" (dict "probe" $v.probes.startup) | nindent 12 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
{{- end }}
