# tests/lib/standin.sh - sourced by tests that talk to a stand-in API server
# (a Python http.server that writes the port it bound to DIR/port).
#
#   standin_wait DIR       wait up to 10 s for DIR/port; 1 when it never came
#   standin_kubeconfig DIR TOKEN
#                          write DIR/kubeconfig: context c, plain HTTP to
#                          127.0.0.1:$(cat DIR/port), bearer token TOKEN

standin_wait() {
	local _
	for _ in $(seq 1 200); do
		[ -s "$1/port" ] && return 0
		sleep 0.05
	done
	return 1
}

standin_kubeconfig() {
	cat >"$1/kubeconfig" <<EOK
apiVersion: v1
kind: Config
current-context: c
clusters:
- name: s
  cluster: {server: "http://127.0.0.1:$(cat "$1/port")"}
contexts:
- name: c
  context: {cluster: s, user: u}
users:
- name: u
  user: {token: $2}
EOK
}
