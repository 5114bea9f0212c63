#!/bin/sh
# gen.sh - (re)writes the 30 ClusterProfile files of the demo fleet in clusters/:
# dev-1..10, staging-1..10, prod-1..10 on EKS with two node pools, at Kubernetes
# 1.33 (prod-8, prod-9 and prod-10 lag at 1.32).  Running it again resets the demo after a roll in place.
set -eu
cd "$(dirname "$0")"
mkdir -p clusters
for env in dev staging prod; do
	i=1
	while [ "$i" -le 10 ]; do
		name="$env-$i"
		nodes=$((2 + i % 4))
		v=1.33
		[ "$env" = prod ] && [ "$i" -ge 8 ] && v=1.32
		cat >"clusters/$name.yaml" <<EOP
apiVersion: kupgrade.dev/v1alpha1
kind: ClusterProfile
metadata: {name: $name}
spec:
  provider: eks
  controlPlane: {version: "$v"}
  nodePools:
    - {name: general, version: "$v", count: $nodes}
    - {name: batch, version: "$v", count: 2}
EOP
		i=$((i + 1))
	done
done
rm -f driver.log fail.list unhealthy.list
