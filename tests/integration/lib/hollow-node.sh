# tests/integration/lib/hollow-node.sh - start one kubemark hollow kubelet (bash).
#
# Sourced by the exec providers that tests/integration/rollout_*.sh write; D is the
# harness's directory (the node's files go to $D/nodes/NAME).
#
#   hollow_start NAME ZONE BINARY LABELS
#       runs BINARY --morph=kubelet as node NAME with the labels
#       topology.kubernetes.io/zone=ZONE,LABELS, its own kubelet ports and a private
#       mount namespace for /var/lib/kubelet and /tmp (hollow kubelets otherwise share
#       socket paths); $D/nodes/NAME/pid is its pid, its output is appended to
#       $D/nodes/NAME/log (a node restarted under its name keeps one log)

hollow_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

hollow_start() { # name zone binary labels
	local n=$1 z=$2 b=$3 labels=$4 dir="$D/nodes/$1" i
	mkdir -p "$dir/kubelet" "$dir/tmp"
	rm -f "$dir/pid"
	cp "$D/hollow.kubeconfig" "$dir/kubelet/kc"
	# a session of its own (setsid --fork: the driver ends its process group when the
	# command returns); the same pid from sh through unshare to kubemark
	setsid -f sh -c "echo \$\$ >'$dir/pid'; exec unshare -m --propagation private sh -c \"
		mount --bind '$dir/kubelet' /var/lib/kubelet && mount --bind '$dir/tmp' /tmp &&
		exec '$b' --morph=kubelet --name='$n' --kubeconfig=/var/lib/kubelet/kc \
		--kubelet-port=$(hollow_port) --kubelet-read-only-port=$(hollow_port) \
		--node-labels=topology.kubernetes.io/zone=$z,$labels\"" \
		</dev/null >>"$dir/log" 2>&1
	for i in $(seq 1 50); do [ -s "$dir/pid" ] && break; sleep 0.1; done
}
