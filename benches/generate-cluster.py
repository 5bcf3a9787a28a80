#!/usr/bin/env python3
"""Generates a large synthetic cluster dump (a `v1 List` in JSON) for timing rbacscan.

Usage: generate-cluster.py NAMESPACES PODS_PER_NAMESPACE OUT.json

Per namespace: 5 Roles (4 random rules each), 10 ServiceAccounts, 8 RoleBindings
(to a Role or one of 200 ClusterRoles, naming a ServiceAccount and a User), and
PODS_PER_NAMESPACE pods with a projected token volume. Cluster-wide: 200
ClusterRoles (5 random rules each), one aggregated ClusterRole, 100
ClusterRoleBindings to groups and ServiceAccounts. Seeded: the same arguments
give the same file.
"""
import json, sys, random
random.seed(7)
ns_count = int(sys.argv[1]); pods_per_ns = int(sys.argv[2])
items = []
verbs = [["get","list"],["create"],["*"],["get"],["update","patch"]]
res = [["pods"],["secrets"],["deployments"],["configmaps"],["pods/exec"],["*"],["services"]]
for i in range(200):
    items.append({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":f"cr-{i}","labels":{"agg":"x" if i%20==0 else "y"}},
        "rules":[{"apiGroups":[random.choice(["","apps","*"])],"resources":random.choice(res),"verbs":random.choice(verbs)} for _ in range(5)]})
items.append({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"agg"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"agg":"x"}}]},"rules":[]})
for n in range(ns_count):
    ns=f"ns-{n}"
    items.append({"apiVersion":"v1","kind":"Namespace","metadata":{"name":ns}})
    for r in range(5):
        items.append({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":f"role-{r}","namespace":ns},
          "rules":[{"apiGroups":[random.choice(["","apps"])],"resources":random.choice(res),"verbs":random.choice(verbs)} for _ in range(4)]})
    for s in range(10):
        items.append({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":f"sa-{s}","namespace":ns}})
    for b in range(8):
        rk = random.choice(["Role","ClusterRole"])
        name = f"role-{random.randrange(5)}" if rk=="Role" else f"cr-{random.randrange(200)}"
        items.append({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":f"rb-{b}","namespace":ns},
          "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":rk,"name":name},
          "subjects":[{"kind":"ServiceAccount","name":f"sa-{random.randrange(10)}"},{"kind":"User","name":f"user-{random.randrange(300)}"}]})
    for p in range(pods_per_ns):
        items.append({"apiVersion":"v1","kind":"Pod","metadata":{"name":f"pod-{p}","namespace":ns,"labels":{"app":"x"}},
          "spec":{"serviceAccountName":f"sa-{p%10}","nodeName":f"node-{p%50}","containers":[{"name":"c","image":"nginx:1.27","volumeMounts":[{"name":"kube-api-access","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":True}]}],
                  "volumes":[{"name":"kube-api-access","projected":{"sources":[{"serviceAccountToken":{"path":"token","expirationSeconds":3607}}]}}]},
          "status":{"phase":"Running"}})
for c in range(100):
    items.append({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":f"crb-{c}"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"agg" if c==0 else f"cr-{random.randrange(200)}"},
      "subjects":[{"kind":"Group","name":f"group-{c%10}"},{"kind":"ServiceAccount","name":f"sa-{c%10}","namespace":f"ns-{c%ns_count}"}]})
json.dump({"apiVersion":"v1","kind":"List","items":items}, open(sys.argv[3],"w"))
