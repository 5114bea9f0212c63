# tests/integration/lib/apiserver.sh - a real kube-apiserver for the tests.
#
# Sourced by tests/integration/*.sh (bash).  Builds (once per machine,
# cached by scripts/build-apiserver) and starts etcd + kube-apiserver +
# kube-controller-manager v1.20.2 on free loopback ports in a temporary
# directory, and stops them by PID when the test exits.
#
#   . "$(dirname "$0")/lib/apiserver.sh"
#   kup_api_start                 # sets the variables below; trap stops all
#   kup_api_kubectl get nodes     # kubectl as admin, with its own cache dir
#
# After kup_api_start:
#   KUP_API_DIR       the temporary directory (removed on exit unless KUP_KEEP=1)
#   KUP_API_URL       https://127.0.0.1:PORT
#   KUP_KUBECONFIG    a kubeconfig with the contexts:
#       admin       client certificate, O=system:masters (the current context)
#       token       bearer token of a system:masters user
#       exec        client.authentication.k8s.io/v1beta1 exec plugin printing a token
#       restricted  token of "viewer": may list most things, never secrets
#       wrong-ca    admin credentials, but a CA that did not sign the server
#       bad-token   a token the server does not know (401)
#       expired     a client certificate that expired in 2020
#       down        a server where nothing listens
#   KUP_API_TOKEN     the token of the "token" user
#   KUP_CURL          curl as admin: $KUP_CURL "$KUP_API_URL/api" ...
#
# Every function prints its progress on stderr as "harness: ...".

KUP_SRC_DIR="${KUP_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"

kup_log() { echo "harness: $*" >&2; }
kup_die() {
	echo "harness: FAIL: $*" >&2
	exit 1
}

# Sets KUP_PORT to a TCP port on 127.0.0.1 that nothing listens on and that
# no earlier call returned (called directly, not in $(...), so that the
# list of ports handed out survives).
KUP_PORTS_USED=""
kup_free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		case " $KUP_PORTS_USED " in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			KUP_PORTS_USED="$KUP_PORTS_USED $p"
			KUP_PORT=$p
			return 0
		fi
	done
	kup_die "no free port found"
}

KUP_PIDS=""
KUP_REAPER_PID=""
# A watchdog: if the test script dies without running its EXIT trap (SIGKILL
# from a timeout), it stops the servers by PID within a second.
kup_reaper() {
	local parent=$$ pids="$KUP_PIDS" dir="$KUP_API_DIR"
	(
		trap '' INT TERM HUP
		while kill -0 "$parent" 2>/dev/null && [ -d "$dir" ]; do sleep 1; done
		[ -d "$dir" ] || exit 0
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null
		sleep 3
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null
		[ "${KUP_KEEP:-0}" = 1 ] || rm -rf "$dir"
	) </dev/null >/dev/null 2>&1 &
	KUP_REAPER_PID=$!
}

# Stops every process started so far, by PID (TERM, then KILL after 5 s).
kup_api_stop_procs() {
	local pid i
	for pid in $KUP_PIDS; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $KUP_PIDS; do
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	KUP_PIDS=""
}

kup_api_stop() {
	if [ -n "$KUP_REAPER_PID" ]; then
		kill -KILL "$KUP_REAPER_PID" 2>/dev/null || true
		wait "$KUP_REAPER_PID" 2>/dev/null || true
		KUP_REAPER_PID=""
	fi
	kup_api_stop_procs
	if [ -n "${KUP_API_DIR:-}" ] && [ -d "$KUP_API_DIR" ]; then
		if [ "${KUP_KEEP:-0}" = 1 ]; then
			kup_log "kept $KUP_API_DIR"
		else
			rm -rf "$KUP_API_DIR"
		fi
	fi
}

# Stops only kube-apiserver (for the "server went away" tests).
# It is given 2 s to stop (a graceful shutdown waits up to a minute for the
# controller manager's watches), then killed.
kup_api_stop_server() {
	local i
	if [ -n "${KUP_APISERVER_PID:-}" ]; then
		kill -TERM "$KUP_APISERVER_PID" 2>/dev/null || true
		for i in $(seq 1 20); do
			kill -0 "$KUP_APISERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$KUP_APISERVER_PID" 2>/dev/null || true
		wait "$KUP_APISERVER_PID" 2>/dev/null || true
	fi
}

kup_pki() {
	local d="$1" ip="$2"
	mkdir -p "$d"
	(
		cd "$d"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3 \
			-subj "/CN=kupgrade-test-ca" 2>/dev/null
		# A second CA that signed nothing the server uses (the wrong-ca context).
		openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 3 \
			-subj "/CN=kupgrade-other-ca" 2>/dev/null
		cat >serving.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:$ip,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
		openssl req -newkey rsa:2048 -nodes -keyout serving.key -out serving.csr \
			-subj "/CN=kube-apiserver" 2>/dev/null
		openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out serving.crt -days 3 -extfile serving.ext 2>/dev/null
		printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >client.ext
		openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
			-subj "/O=system:masters/CN=kup-admin" 2>/dev/null
		openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out admin.crt -days 3 -extfile client.ext 2>/dev/null
		# An admin certificate that expired long ago (openssl ca can date it).
		mkdir -p expca
		: >expca/index.txt
		echo 1000 >expca/serial
		cat >expca/ca.cnf <<EOF
[ ca ]
default_ca = exp
[ exp ]
dir = $d/expca
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $d/ca.crt
private_key = $d/ca.key
default_md = sha256
policy = any
unique_subject = no
[ any ]
organizationName = optional
commonName = supplied
[ ext ]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
EOF
		openssl req -newkey rsa:2048 -nodes -keyout expired.key -out expired.csr \
			-subj "/O=system:masters/CN=kup-expired" 2>/dev/null
		openssl ca -batch -config expca/ca.cnf -extensions ext -in expired.csr -out expired.crt \
			-startdate 20200101000000Z -enddate 20200102000000Z -notext 2>/dev/null
		openssl genrsa -out sa.key 2048 2>/dev/null
		openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
	) || kup_die "cannot generate the test PKI in $d"
	[ -s "$d/expired.crt" ] || kup_die "cannot generate the expired certificate"
}

kup_b64() { base64 -w0 <"$1"; }

kup_write_kubeconfig() {
	local d="$KUP_API_DIR" url="$KUP_API_URL" down="$1"
	cat >"$d/exec-plugin.sh" <<EOF
#!/bin/sh
# An exec credential plugin: prints an ExecCredential with a token.
echo "\$(date +%s) \$KUBERNETES_EXEC_INFO" >>"$d/exec-plugin.calls"
printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2099-01-01T00:00:00Z"}}\n' "$KUP_API_EXEC_TOKEN"
EOF
	chmod +x "$d/exec-plugin.sh"
	cat >"$KUP_KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: test
  cluster:
    server: $url
    certificate-authority-data: $(kup_b64 "$d/pki/ca.crt")
- name: test-file-ca
  cluster:
    server: $url
    certificate-authority: $d/pki/ca.crt
- name: test-wrong-ca
  cluster:
    server: $url
    certificate-authority: $d/pki/other-ca.crt
- name: test-down
  cluster:
    server: https://127.0.0.1:$down
    certificate-authority: $d/pki/ca.crt
users:
- name: admin
  user:
    client-certificate-data: $(kup_b64 "$d/pki/admin.crt")
    client-key-data: $(kup_b64 "$d/pki/admin.key")
- name: token
  user:
    token: $KUP_API_TOKEN
- name: exec
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: $d/exec-plugin.sh
      args: []
      installHint: the test harness writes exec-plugin.sh
- name: viewer
  user:
    token: $KUP_API_VIEWER_TOKEN
- name: bad-token
  user:
    token: this-token-is-not-known-to-the-server
- name: expired
  user:
    client-certificate: $d/pki/expired.crt
    client-key: $d/pki/expired.key
contexts:
- name: admin
  context: {cluster: test, user: admin}
- name: token
  context: {cluster: test-file-ca, user: token}
- name: exec
  context: {cluster: test, user: exec}
- name: restricted
  context: {cluster: test, user: viewer}
- name: wrong-ca
  context: {cluster: test-wrong-ca, user: admin}
- name: bad-token
  context: {cluster: test, user: bad-token}
- name: expired
  context: {cluster: test, user: expired}
- name: down
  context: {cluster: test-down, user: admin}
EOF
}

# kubectl as admin against the test server, with a cache dir of its own.
kup_api_kubectl() {
	kubectl --kubeconfig "$KUP_KUBECONFIG" --context admin \
		--cache-dir "$KUP_API_DIR/kubectl-cache" "$@"
}

# Waits until URL answers 200 to the admin (at most $2 seconds).
kup_wait_ready() {
	local url="$1" max="$2" i
	for i in $(seq 1 $((max * 4))); do
		if $KUP_CURL -fsS -o /dev/null "$url" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$KUP_APISERVER_PID" 2>/dev/null; then
			tail -n 30 "$KUP_API_DIR/kube-apiserver.log" >&2
			kup_log "kube-apiserver exited during start-up"
			return 1
		fi
		sleep 0.25
	done
	tail -n 30 "$KUP_API_DIR/kube-apiserver.log" >&2
	kup_die "kube-apiserver not ready after ${max}s ($url)"
}

# kup_start_kcm BIN PKI PORT: kube-controller-manager; started again on
# another port when it exits at once (its port taken meanwhile).  The node
# lifecycle controller is off (hand-made Nodes have no kubelet) unless
# KUP_KCM_CONTROLLERS says otherwise ('*' for tests with hollow nodes).
kup_start_kcm() {
	local bin="$1" p="$2" port="$3" attempt i
	for attempt in 1 2 3; do
		"$bin/kube-controller-manager" \
			--kubeconfig="$KUP_API_DIR/kcm.kubeconfig" \
			--bind-address=127.0.0.1 --secure-port="$port" --port=0 --leader-elect=false \
			--service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
			--use-service-account-credentials=true \
			--controllers="${KUP_KCM_CONTROLLERS:-*,-nodelifecycle}" \
			>"$KUP_API_DIR/kube-controller-manager.log" 2>&1 &
		KUP_KCM_PID=$!
		KUP_PIDS="$KUP_KCM_PID $KUP_PIDS"
		for i in $(seq 1 8); do
			sleep 0.25
			kill -0 "$KUP_KCM_PID" 2>/dev/null || break
		done
		if kill -0 "$KUP_KCM_PID" 2>/dev/null; then
			return 0
		fi
		tail -n 20 "$KUP_API_DIR/kube-controller-manager.log" >&2
		kup_log "kube-controller-manager exited during start-up; starting it again on another port"
		kup_free_port
		port=$KUP_PORT
	done
	kup_die "kube-controller-manager did not start (3 attempts; log above)"
}

kup_api_start() {
	local bin etcd_port peer_port api_port kcm_port down_port t0
	command -v etcd >/dev/null || kup_die "etcd not installed (scripts/install-deps installs etcd-server)"
	command -v openssl >/dev/null || kup_die "openssl not installed"
	command -v curl >/dev/null || kup_die "curl not installed"
	if ! bin=$("$KUP_SRC_DIR/scripts/build-apiserver"); then
		kup_die "scripts/build-apiserver failed"
	fi
	t0=$(date +%s)
	KUP_API_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kup-api.XXXXXX")
	trap kup_api_stop EXIT
	trap 'exit 130' INT TERM
	kup_pki "$KUP_API_DIR/pki" 127.0.0.1
	local p="$KUP_API_DIR/pki" attempt
	KUP_API_TOKEN="tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	KUP_API_EXEC_TOKEN="exe-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	KUP_API_VIEWER_TOKEN="vie-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	cat >"$p/tokens.csv" <<EOF
$KUP_API_TOKEN,kup-token,1001,"system:masters"
$KUP_API_EXEC_TOKEN,kup-exec,1002,"system:masters"
$KUP_API_VIEWER_TOKEN,viewer,1003,"viewers"
EOF
	KUP_CURL="curl --cacert $p/ca.crt --cert $p/admin.crt --key $p/admin.key"
	KUP_KUBECONFIG="$KUP_API_DIR/kubeconfig"

	# A port found free can be taken by someone else before etcd or the API
	# server binds it: then start again on other ports (3 attempts).
	for attempt in 1 2 3; do
		kup_free_port
		etcd_port=$KUP_PORT
		kup_free_port
		peer_port=$KUP_PORT
		kup_free_port
		api_port=$KUP_PORT
		KUP_API_URL="https://127.0.0.1:$api_port"
		rm -rf "$KUP_API_DIR/etcd"
		etcd --name kup --data-dir "$KUP_API_DIR/etcd" \
			--listen-client-urls "http://127.0.0.1:$etcd_port" \
			--advertise-client-urls "http://127.0.0.1:$etcd_port" \
			--listen-peer-urls "http://127.0.0.1:$peer_port" \
			--initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
			--initial-cluster "kup=http://127.0.0.1:$peer_port" \
			--log-level warn >"$KUP_API_DIR/etcd.log" 2>&1 &
		KUP_ETCD_PID=$!
		"$bin/kube-apiserver" \
			--bind-address=127.0.0.1 --secure-port="$api_port" --advertise-address=127.0.0.1 \
			--insecure-port=0 \
			--etcd-servers="http://127.0.0.1:$etcd_port" \
			--tls-cert-file="$p/serving.crt" --tls-private-key-file="$p/serving.key" \
			--client-ca-file="$p/ca.crt" --token-auth-file="$p/tokens.csv" \
			--service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
			--service-account-issuer=https://kubernetes.default.svc.cluster.local \
			--service-cluster-ip-range=10.0.0.0/24 --endpoint-reconciler-type=none \
			--authorization-mode=RBAC --allow-privileged=true \
			>"$KUP_API_DIR/kube-apiserver.log" 2>&1 &
		KUP_APISERVER_PID=$!
		KUP_PIDS="$KUP_APISERVER_PID $KUP_ETCD_PID $KUP_PIDS"
		if kup_wait_ready "$KUP_API_URL/readyz" 90; then
			break
		fi
		kup_api_stop_procs
		[ "$attempt" -lt 3 ] || kup_die "kube-apiserver did not start (3 attempts; logs above)"
		kup_log "starting again on other ports"
	done
	kup_free_port
	kcm_port=$KUP_PORT
	kup_free_port
	down_port=$KUP_PORT
	kup_write_kubeconfig "$down_port"

	cat >"$KUP_API_DIR/kcm.kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: kcm
clusters:
- name: test
  cluster: {server: "$KUP_API_URL", certificate-authority: "$p/ca.crt"}
users:
- name: kcm
  user: {client-certificate: "$p/admin.crt", client-key: "$p/admin.key"}
contexts:
- name: kcm
  context: {cluster: test, user: kcm}
EOF
	kup_start_kcm "$bin" "$p" "$kcm_port"
	kup_reaper

	# The restricted user: may get/list a fixed set of resources, never secrets.
	$KUP_CURL -fsS -X POST -H 'Content-Type: application/json' \
		"$KUP_API_URL/apis/rbac.authorization.k8s.io/v1/clusterroles" -o /dev/null -d '{
	  "apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole",
	  "metadata":{"name":"kup-viewer"},
	  "rules":[
	    {"apiGroups":["","apps","batch","extensions","networking.k8s.io","policy","autoscaling"],
	     "resources":["pods","services","configmaps","namespaces","nodes","deployments","replicasets",
	       "daemonsets","statefulsets","jobs","cronjobs","ingresses","poddisruptionbudgets",
	       "horizontalpodautoscalers","endpoints"],
	     "verbs":["get","list"]},
	    {"nonResourceURLs":["/api","/api/*","/apis","/apis/*","/version","/healthz","/readyz"],"verbs":["get"]}]}' ||
		kup_die "cannot create ClusterRole kup-viewer"
	$KUP_CURL -fsS -X POST -H 'Content-Type: application/json' \
		"$KUP_API_URL/apis/rbac.authorization.k8s.io/v1/clusterrolebindings" -o /dev/null -d '{
	  "apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding",
	  "metadata":{"name":"kup-viewer"},
	  "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"kup-viewer"},
	  "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"viewers"}]}' ||
		kup_die "cannot create ClusterRoleBinding kup-viewer"
	kup_log "kube-apiserver v1.20.2 ready at $KUP_API_URL in $(($(date +%s) - t0)) s (dir $KUP_API_DIR)"
}

# Creates a namespace and waits for its default ServiceAccount (pods are
# refused until it exists).
kup_api_namespace() {
	local ns="$1" i
	$KUP_CURL -fsS -X POST -H 'Content-Type: application/json' "$KUP_API_URL/api/v1/namespaces" \
		-o /dev/null -d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" ||
		kup_die "cannot create namespace $ns"
	for i in $(seq 1 480); do
		if $KUP_CURL -fsS -o /dev/null "$KUP_API_URL/api/v1/namespaces/$ns/serviceaccounts/default" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$KUP_KCM_PID" 2>/dev/null; then
			tail -n 30 "$KUP_API_DIR/kube-controller-manager.log" >&2
			kup_die "namespace $ns: kube-controller-manager has exited (log above)"
		fi
		sleep 0.25
	done
	tail -n 30 "$KUP_API_DIR/kube-controller-manager.log" >&2
	kup_die "namespace $ns: no default ServiceAccount after 120 s (kube-controller-manager log above)"
}

# kup_api_json METHOD PATH [BODY [CONTENT-TYPE]]: a request as admin; the
# response body on stdout; fails the test on an HTTP error.
kup_api_json() {
	local method="$1" path="$2" body="${3:-}" ctype="${4:-application/json}"
	if [ -n "$body" ]; then
		$KUP_CURL -fsS -X "$method" -H "Content-Type: $ctype" "$KUP_API_URL$path" -d "$body" ||
			kup_die "$method $path failed"
	else
		$KUP_CURL -fsS -X "$method" "$KUP_API_URL$path" || kup_die "$method $path failed"
	fi
}

# kup_api_dump FILE LISTPATH...: what `kubectl get -A -o json` writes for
# those resources - one List whose items carry apiVersion and kind (the API
# server leaves them out of list items).
kup_api_dump() {
	local file="$1" p
	shift
	for p in "$@"; do
		kup_api_json GET "$p" | jq -c '(.apiVersion) as $av | (.kind | sub("List$"; "")) as $k |
			.items[] | {apiVersion: $av, kind: $k} + .'
	done | jq -s '{apiVersion: "v1", kind: "List", metadata: {resourceVersion: ""}, items: .}' >"$file" ||
		kup_die "cannot dump $* into $file"
}

# ---- assertions ----------------------------------------------------------
KUP_FAILS=0
kup_ok() { echo "ok - $*" >&2; }
kup_not_ok() {
	echo "not ok - $*" >&2
	KUP_FAILS=$((KUP_FAILS + 1))
}
# kup_check DESCRIPTION COMMAND...: runs the command, counts a failure.
kup_check() {
	local what="$1"
	shift
	if "$@"; then kup_ok "$what"; else kup_not_ok "$what"; fi
}
# kup_expect_exit WANT GOT DESCRIPTION
kup_expect_exit() {
	if [ "$1" = "$2" ]; then kup_ok "$3 (exit $2)"; else kup_not_ok "$3: exit $2, expected $1"; fi
}
# kup_grep FILE PATTERN DESCRIPTION: an extended regex must match a line.
kup_grep() {
	if grep -Eq -- "$2" "$1"; then
		kup_ok "$3"
	else
		kup_not_ok "$3: no line matches /$2/ in $1:"
		sed 's/^/    | /' "$1" | head -n 40 >&2
	fi
}
kup_nogrep() {
	if grep -Eq -- "$2" "$1"; then
		kup_not_ok "$3: a line matches /$2/ in $1:"
		grep -E -- "$2" "$1" | sed 's/^/    | /' | head -n 10 >&2
	else
		kup_ok "$3"
	fi
}
# kup_jq FILE FILTER [jq options...]: the filter must print exactly `true`
# (an empty or malformed file fails, unlike jq -e on no input).
kup_jq() {
	local f="$1" filter="$2"
	shift 2
	[ -s "$f" ] && [ "$(jq -r "$@" "$filter" "$f" 2>/dev/null)" = true ]
}
# kup_done: the test's exit status.
kup_done() {
	if [ "$KUP_FAILS" -ne 0 ]; then
		echo "harness: $KUP_FAILS check(s) failed" >&2
		exit 1
	fi
	echo "harness: all checks passed" >&2
	exit 0
}
