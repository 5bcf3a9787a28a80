#!/usr/bin/env python3
"""Writes a cluster of N aggregated ClusterRoles that each select N labelled
ones (half of the aggregated ones carry the label too, so they also select
each other), each aggregated role bound to a user: the case that was
superlinear before aggregation went through a label index and strongly
connected components.

    python3 benches/generate-aggregation.py 400 /tmp/agg400.json
    rbacscan scan -f /tmp/agg400.json -o json --output-file /dev/null
"""
import json
import sys

n, out = int(sys.argv[1]), sys.argv[2]
items = []
for i in range(n):
    items.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                  "metadata": {"name": f"l-{i}", "labels": {"agg": "true"}},
                  "rules": [{"apiGroups": [""], "resources": [f"res{i}"], "verbs": ["get"]}]})
    items.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                  "metadata": {"name": f"a-{i}", "labels": {"agg": "true" if i % 2 else "no"}},
                  "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "true"}}]},
                  "rules": []})
    items.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                  "metadata": {"name": f"b-{i}"},
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"a-{i}"},
                  "subjects": [{"kind": "User", "name": f"u{i}", "apiGroup": "rbac.authorization.k8s.io"}]})
with open(out, "w") as f:
    json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)
