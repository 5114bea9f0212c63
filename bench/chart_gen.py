#!/usr/bin/env python3
"""bench/chart_gen.py - a seeded helm/charts-sized tree of charts for bench/charts.sh.

    chart_gen.py OUT_DIR [COUNT] [SEED]

Writes COUNT charts (default 300) under OUT_DIR/charts/.  Every chart has a
Chart.yaml (v1 with requirements.yaml or v2), values.yaml (some with an
`rbac.apiVersion` default), _helpers.tpl with Bitnami-style capability
helpers, and 4-9 templates drawn from the shapes charts use around
apiVersions: helper-chosen Ingress/HPA/PDB apiVersions, PSP guards on
semverCompare or APIVersions.Has, values-driven apiVersions, ranges over
values, one-line conditionals.  One chart in four has a sub-chart directory
(with a condition), one in six a packaged sub-chart (charts/*.tgz); one in
ten is itself packaged (OUT_DIR/charts/NAME-VERSION.tgz instead of a folder).
Prints `charts=N templates=N archives=N expected_removed_at_1.25=N` where the
last count is what `kupgrade scan --to 1.25` must report as removed.
"""
import gzip
import io
import os
import random
import shutil
import sys
import tarfile

HELPERS = r'''{{- define "%(n)s.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "%(n)s.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- printf "%%s-%%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- define "%(n)s.labels" -}}
app.kubernetes.io/name: {{ include "%(n)s.name" . }}
helm.sh/chart: {{ printf "%%s-%%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- with .Values.extraLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}
{{- define "%(n)s.kubeVersion" -}}
{{- default (default .Capabilities.KubeVersion.Version .Values.kubeVersion) ((.Values.global).kubeVersion) -}}
{{- end -}}
{{- define "%(n)s.ingress.apiVersion" -}}
{{- if semverCompare "<1.14-0" (include "%(n)s.kubeVersion" .) -}}
{{- print "extensions/v1beta1" -}}
{{- else if semverCompare "<1.19-0" (include "%(n)s.kubeVersion" .) -}}
{{- print "networking.k8s.io/v1beta1" -}}
{{- else -}}
{{- print "networking.k8s.io/v1" -}}
{{- end -}}
{{- end -}}
{{- define "%(n)s.hpa.apiVersion" -}}
{{- if .Capabilities.APIVersions.Has "autoscaling/v2" -}}
autoscaling/v2
{{- else -}}
autoscaling/v2beta2
{{- end -}}
{{- end -}}
'''

DEPLOY = '''apiVersion: {{ .Values.deployApi | default "apps/v1" }}
kind: Deployment
metadata:
  name: {{ include "%(n)s.fullname" . }}
  labels:
    {{- include "%(n)s.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
        {{- range $i, $c := .Values.containers }}
        - name: {{ $c.name | quote }}
          image: "{{ $c.image }}:{{ $c.tag | default $.Chart.AppVersion }}"
        {{- end }}
'''

INGRESS = '''{{- if .Values.ingress.enabled -}}
{{- $fullName := include "%(n)s.fullname" . -}}
apiVersion: {{ include "%(n)s.ingress.apiVersion" . }}
kind: Ingress
metadata:
  name: {{ $fullName }}
spec:
  rules:
  {{- range .Values.ingress.hosts }}
    - host: {{ .host | quote }}
  {{- end }}
{{- end }}
'''

HPA = '''{{- if .Values.autoscaling.enabled }}
apiVersion: {{ include "%(n)s.hpa.apiVersion" . }}
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "%(n)s.fullname" . }}
spec:
  minReplicas: {{ .Values.autoscaling.minReplicas }}
{{- end }}
'''

PSP_VERSION = '''{{- if semverCompare "<1.25-0" .Capabilities.KubeVersion.GitVersion }}
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: {{ include "%(n)s.fullname" . }}
spec:
  privileged: false
{{- end }}
'''

PSP_HAS = '''{{- if and .Values.psp.create (.Capabilities.APIVersions.Has "policy/v1beta1/PodSecurityPolicy") }}
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: {{ include "%(n)s.fullname" . }}-has
{{- end }}
'''

PDB = '''apiVersion: {{- if .Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget" }} policy/v1 {{- else }} policy/v1beta1 {{- end }}
kind: PodDisruptionBudget
metadata:
  name: {{ include "%(n)s.fullname" . }}
spec:
  minAvailable: 1
'''

RBAC = '''apiVersion: rbac.authorization.k8s.io/{{ .Values.rbac.apiVersion }}
kind: Role
metadata:
  name: {{ include "%(n)s.fullname" . }}
rules: []
'''

CRONJOB = '''apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: {{ include "%(n)s.fullname" . }}-legacy
spec:
  schedule: {{ .Values.schedule | quote }}
'''

CONFIG = '''apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "%(n)s.fullname" . }}
data:
  {{- range $k, $v := .Values.config }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
  rendered: {{ tpl .Values.tplValue . | quote }}
'''


def values(rng, rbac_old, deploy_old):
    lines = ['replicaCount: %d' % rng.randint(1, 5),
             'nameOverride: ""', 'fullnameOverride: ""',
             'containers:']
    for i in range(rng.randint(1, 3)):
        lines += ['  - name: c%d' % i, '    image: registry.example/img%d' % rng.randint(0, 99),
                  '    tag: "%d.%d"' % (rng.randint(0, 9), rng.randint(0, 20))]
    lines += ['ingress:', '  enabled: %s' % ('true' if rng.random() < 0.7 else 'false'),
              '  hosts:', '    - host: a.example', '    - host: b.example',
              'autoscaling:', '  enabled: %s' % ('true' if rng.random() < 0.5 else 'false'),
              '  minReplicas: 2',
              'psp:', '  create: %s' % ('true' if rng.random() < 0.5 else 'false'),
              'rbac:', '  apiVersion: %s' % ('v1beta1' if rbac_old else 'v1'),
              'schedule: "*/5 * * * *"',
              'tplValue: "{{ .Release.Name }}-cfg"',
              'extraLabels:', '  team: t%d' % rng.randint(0, 9),
              'config:']
    for i in range(rng.randint(2, 8)):
        lines.append('  key%d: value%d' % (i, rng.randint(0, 1000)))
    if deploy_old:
        lines.append('deployApi: apps/v1beta2')
    return '\n'.join(lines) + '\n'


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def make_chart(rng, root, name, sub_ok):
    """Writes a chart at root; returns (templates, archives, removed at 1.25)."""
    removed = 0
    templates = 0
    archives = 0
    v2 = rng.random() < 0.7
    rbac_old = rng.random() < 0.3
    deploy_old = rng.random() < 0.2
    vals = values(rng, rbac_old, deploy_old)
    has_sub = sub_ok and rng.random() < 0.25
    has_tgz = sub_ok and rng.random() < 1 / 6
    deps = []
    if has_sub:
        deps.append('  - name: %s-sub\n    version: 0.1.0\n    repository: https://charts.example\n'
                    '    condition: sub.enabled\n' % name)
        vals += 'sub:\n  enabled: true\n'
    if has_tgz:
        deps.append('  - name: %s-pkg\n    version: 0.2.0\n    repository: https://charts.example\n' % name)
    chart = 'apiVersion: %s\nname: %s\nversion: 1.%d.0\nappVersion: "%d.0"\n' % (
        'v2' if v2 else 'v1', name, rng.randint(0, 9), rng.randint(1, 9))
    if v2 and deps:
        chart += 'dependencies:\n' + ''.join(deps)
    write(os.path.join(root, 'Chart.yaml'), chart)
    if not v2 and deps:
        write(os.path.join(root, 'requirements.yaml'), 'dependencies:\n' + ''.join(deps))
    write(os.path.join(root, 'values.yaml'), vals)
    write(os.path.join(root, 'templates', '_helpers.tpl'), HELPERS % {'n': name})
    shapes = [('deployment.yaml', DEPLOY), ('configmap.yaml', CONFIG)]
    optional = [('ingress.yaml', INGRESS), ('hpa.yaml', HPA), ('psp.yaml', PSP_VERSION),
                ('psp-has.yaml', PSP_HAS), ('pdb.yaml', PDB), ('rbac.yaml', RBAC),
                ('cronjob.yaml', CRONJOB)]
    shapes += rng.sample(optional, rng.randint(2, len(optional)))
    for fname, body in shapes:
        write(os.path.join(root, 'templates', fname), body % {'n': name})
        templates += 1
        if fname == 'rbac.yaml' and rbac_old:
            removed += 1
        if fname == 'cronjob.yaml':
            removed += 1
        if fname == 'deployment.yaml' and deploy_old:
            removed += 1
    write(os.path.join(root, 'templates', 'NOTES.txt'), 'Installed {{ .Chart.Name }}.\n')
    if has_sub:
        t, a, r = make_chart(rng, os.path.join(root, 'charts', name + '-sub'), name + '-sub', False)
        templates += t
        archives += a
        removed += r
    if has_tgz:
        tmp = os.path.join(root, 'charts', '.build-' + name + '-pkg')
        t, a, r = make_chart(rng, os.path.join(tmp, name + '-pkg'), name + '-pkg', False)
        templates += t
        removed += r
        pack(os.path.join(tmp, name + '-pkg'), os.path.join(root, 'charts', name + '-pkg-0.2.0.tgz'))
        shutil.rmtree(tmp)
        archives += 1
    return templates, archives, removed


def pack(src, dest):
    bio = io.BytesIO()
    base = os.path.basename(src)
    with tarfile.open(fileobj=bio, mode='w', format=tarfile.USTAR_FORMAT) as tf:
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames.sort()
            for fn in sorted(filenames):
                full = os.path.join(dirpath, fn)
                arc = os.path.join(base, os.path.relpath(full, src))
                data = open(full, 'rb').read()
                ti = tarfile.TarInfo(arc)
                ti.size = len(data)
                ti.mtime = 1700000000
                ti.mode = 0o644
                tf.addfile(ti, io.BytesIO(data))
    with open(dest, 'wb') as f:
        f.write(gzip.compress(bio.getvalue(), mtime=0))


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = random.Random(seed)
    root = os.path.join(out, 'charts')
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(root)
    charts = templates = archives = removed = 0
    for i in range(count):
        name = 'chart%03d' % i
        packaged = rng.random() < 0.1
        target = os.path.join(out, '.pack', name) if packaged else os.path.join(root, name)
        t, a, r = make_chart(rng, target, name, True)
        if packaged:
            pack(target, os.path.join(root, '%s-1.0.0.tgz' % name))
            a += 1
        charts += 1
        templates += t
        archives += a
        removed += r
    shutil.rmtree(os.path.join(out, '.pack'), ignore_errors=True)
    print('charts=%d templates=%d archives=%d expected_removed_at_1.25=%d' % (
        charts, templates, archives, removed))


if __name__ == '__main__':
    main()
