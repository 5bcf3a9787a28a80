#!/usr/bin/env python3
"""Generates a realistic cluster dump (a kubectl-style `v1 List` in JSON) of
PODS pods, for the scale benchmarks.

Usage: generate-realistic.py [--lean] PODS OUT.json

With --lean, pods keep only their identity, ServiceAccount, node, containers'
names, images, env, mounts and security contexts, volumes and phase (about
700 bytes a pod, the size of the scale issue's 91 MB dump at 100,000 pods);
everything else is the same cluster, drawn from the same seed, so both
files give the same findings.

Proportions follow the scale issue's cluster (per 100,000 pods: 50,000
ServiceAccounts, 20,000 Roles, 20,000 RoleBindings, 2,000 ClusterRoles and
2,000 ClusterRoleBindings), in 2,000 namespaces of 50 pods:

- workloads: Deployments (ReplicaSet-owned pods, 1 to 10 replicas sharing a
  ServiceAccount), StatefulSets, DaemonSets (one pod per node) and Jobs;
  containers as kubectl shows them (image, ports, resources, probes, args,
  env with literal values, valueFrom and envFrom), init containers on some;
- token exposure: the injected kube-api-access volume, automount turned off
  on 15% of pods and 10% of ServiceAccounts, secret volumes on 10%,
  secretKeyRef env on 20%;
- amplifiers: privileged 2%, hostPath 2% (a third of them /var/lib/kubelet),
  hostPID 1%, hostNetwork 2%, NET_ADMIN/SYS_ADMIN 1%;
- RBAC: Roles mostly read-only, about 8% risky (secrets, exec, pod creation,
  bindings, wildcards); ClusterRoles with about 5% risky, 2% aggregated by
  label; RoleBindings to ServiceAccounts (70%), users (20%) and groups
  (10%); ClusterRoleBindings to groups, users and ServiceAccounts;
- namespaces labelled with Pod Security levels (a third enforce baseline or
  restricted).

Seeded: the same arguments give the same file.
"""
import json
import random
import sys

random.seed(11)
args = sys.argv[1:]
lean = "--lean" in args
args = [a for a in args if a != "--lean"]
pods_total = int(args[0])
out_path = args[1]
scale = pods_total / 100_000
namespaces = max(2, round(2000 * scale))
sas_per_ns = 25
roles_per_ns = 10
bindings_per_ns = 10
cluster_roles = max(20, round(2000 * scale))
cluster_bindings = max(20, round(2000 * scale))
nodes = max(3, round(500 * scale))
pods_per_ns = pods_total // namespaces

items = []
RBAC = "rbac.authorization.k8s.io"
rbac_v1 = RBAC + "/v1"


def pick(p):
    return random.random() < p


READ_RULES = [
    {"apiGroups": [""], "resources": ["configmaps", "services", "endpoints"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["apps"], "resources": ["deployments", "replicasets"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
    {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list"]},
]
RISKY_RULES = [
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete"]},
    {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["create", "update", "patch"]},
    {"apiGroups": [RBAC], "resources": ["rolebindings"], "verbs": ["create"]},
    {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
    {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["app-credentials"]},
]
CLUSTER_RISKY = RISKY_RULES + [
    {"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]},
    {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["mutatingwebhookconfigurations"], "verbs": ["update"]},
]


def rules(risky_share, risky_pool):
    out = random.sample(READ_RULES, random.randint(1, 3))
    if pick(risky_share):
        out.append(random.choice(risky_pool))
    return out


for i in range(cluster_roles):
    meta = {"name": f"platform-role-{i}", "labels": {}}
    if i % 50 == 0:
        meta["labels"]["rbac.example.com/aggregate-to-ops"] = "true"
    role = {"apiVersion": rbac_v1, "kind": "ClusterRole", "metadata": meta, "rules": rules(0.05, CLUSTER_RISKY)}
    items.append(role)
for i in range(max(1, cluster_roles // 50)):
    items.append({
        "apiVersion": rbac_v1, "kind": "ClusterRole", "metadata": {"name": f"ops-aggregate-{i}"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate-to-ops": "true"}}]},
        "rules": [],
    })

ns_names = [f"team-{n:04d}" for n in range(namespaces)]
for i in range(cluster_bindings):
    r = random.random()
    if r < 0.5:
        subject = {"kind": "Group", "apiGroup": RBAC, "name": f"org:team-{random.randrange(200)}"}
    elif r < 0.8:
        subject = {"kind": "User", "apiGroup": RBAC, "name": f"user{random.randrange(5000)}@example.com"}
    else:
        subject = {"kind": "ServiceAccount", "name": f"sa-{random.randrange(sas_per_ns)}", "namespace": random.choice(ns_names)}
    items.append({
        "apiVersion": rbac_v1, "kind": "ClusterRoleBinding", "metadata": {"name": f"platform-binding-{i}"},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": f"platform-role-{random.randrange(cluster_roles)}"},
        "subjects": [subject],
    })


def container(name, sa_secret, privileged, caps):
    c = {
        "name": name,
        "image": f"registry.example.com/{name}:{random.randint(1, 40)}.{random.randint(0, 9)}.{random.randint(0, 20)}",
        "imagePullPolicy": "IfNotPresent",
        "args": ["--port=8080", "--log-level=info", f"--shard={random.randrange(16)}"],
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}, {"containerPort": 9090, "name": "metrics", "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "env": [{"name": "LOG_FORMAT", "value": "json"}, {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
        "volumeMounts": [],
    }
    if sa_secret:
        c["env"].append({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-credentials", "key": "password"}}})
    if pick(0.1):
        c["envFrom"] = [{"configMapRef": {"name": "app-config"}}]
    sc = {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "readOnlyRootFilesystem": True}
    if privileged:
        sc = {"privileged": True}
    if caps:
        sc = {"capabilities": {"add": [random.choice(["NET_ADMIN", "SYS_ADMIN"])]}}
    c["securityContext"] = sc
    return c


pod_count = 0
for n, ns in enumerate(ns_names):
    labels = {"kubernetes.io/metadata.name": ns}
    level = random.choice(["", "", "baseline", "restricted", "", "privileged"])
    if level:
        labels["pod-security.kubernetes.io/enforce"] = level
    items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    for s in range(sas_per_ns):
        sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": f"sa-{s}" if s else "default", "namespace": ns}}
        if pick(0.1):
            sa["automountServiceAccountToken"] = False
        items.append(sa)
    for r in range(roles_per_ns):
        items.append({"apiVersion": rbac_v1, "kind": "Role", "metadata": {"name": f"role-{r}", "namespace": ns}, "rules": rules(0.08, RISKY_RULES)})
    for b in range(bindings_per_ns):
        r = random.random()
        if r < 0.7:
            subject = {"kind": "ServiceAccount", "name": f"sa-{random.randrange(1, sas_per_ns)}", "namespace": ns}
        elif r < 0.9:
            subject = {"kind": "User", "apiGroup": RBAC, "name": f"user{random.randrange(5000)}@example.com"}
        else:
            subject = {"kind": "Group", "apiGroup": RBAC, "name": f"org:team-{random.randrange(200)}"}
        if pick(0.8):
            ref = {"apiGroup": RBAC, "kind": "Role", "name": f"role-{random.randrange(roles_per_ns)}"}
        else:
            ref = {"apiGroup": RBAC, "kind": "ClusterRole", "name": f"platform-role-{random.randrange(cluster_roles)}"}
        items.append({"apiVersion": rbac_v1, "kind": "RoleBinding", "metadata": {"name": f"binding-{b}", "namespace": ns}, "roleRef": ref, "subjects": [subject]})
    left = pods_per_ns if n < namespaces - 1 else pods_total - pod_count
    w = 0
    while left > 0:
        kind = random.choices(["Deployment", "StatefulSet", "Job"], [0.8, 0.12, 0.08])[0]
        replicas = min(left, random.randint(1, 10) if kind != "Job" else 1)
        app = f"app-{w}"
        w += 1
        sa_name = f"sa-{random.randrange(1, sas_per_ns)}" if pick(0.85) else "default"
        tmpl_automount = False if pick(0.15) else None
        privileged = pick(0.02)
        caps = pick(0.01)
        host_path = pick(0.02)
        host_pid = pick(0.01)
        host_net = pick(0.02)
        secret_volume = pick(0.1)
        secret_env = pick(0.2)
        rs_hash = "%08x" % random.getrandbits(32)
        for r in range(replicas):
            if kind == "Deployment":
                name = f"{app}-{rs_hash[:9]}-{'%05x' % random.getrandbits(20)}"
                owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{app}-{rs_hash[:9]}", "uid": f"uid-{ns}-{app}", "controller": True, "blockOwnerDeletion": True}
            elif kind == "StatefulSet":
                name = f"{app}-{r}"
                owner = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": app, "uid": f"uid-{ns}-{app}", "controller": True, "blockOwnerDeletion": True}
            else:
                name = f"{app}-{'%05x' % random.getrandbits(20)}"
                owner = {"apiVersion": "batch/v1", "kind": "Job", "name": app, "uid": f"uid-{ns}-{app}", "controller": True, "blockOwnerDeletion": True}
            volumes = []
            c = container("main", secret_env, privileged, caps)
            if tmpl_automount is not False:
                token = f"kube-api-access-{'%05x' % random.getrandbits(20)}"
                volumes.append({"name": token, "projected": {"defaultMode": 420, "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}})
                c["volumeMounts"].append({"name": token, "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
            if secret_volume:
                volumes.append({"name": "credentials", "secret": {"secretName": "app-credentials", "defaultMode": 420}})
                c["volumeMounts"].append({"name": "credentials", "mountPath": "/etc/credentials", "readOnly": True})
            if host_path:
                path = "/var/lib/kubelet" if pick(0.33) else random.choice(["/var/log", "/etc/ssl/certs", "/run/containerd"])
                volumes.append({"name": "host", "hostPath": {"path": path, "type": "Directory"}})
                c["volumeMounts"].append({"name": "host", "mountPath": "/host"})
            spec = {
                "serviceAccountName": sa_name, "serviceAccount": sa_name,
                "nodeName": f"node-{random.randrange(nodes):04d}",
                "containers": [c], "volumes": volumes,
                "restartPolicy": "Always" if kind != "Job" else "Never",
                "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
                "securityContext": {"runAsUser": 1000, "fsGroup": 2000} if not privileged else {},
                "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
                "priority": 0, "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority",
            }
            if tmpl_automount is False:
                spec["automountServiceAccountToken"] = False
            if host_pid:
                spec["hostPID"] = True
            if host_net:
                spec["hostNetwork"] = True
            if pick(0.2):
                spec["initContainers"] = [container("init", False, False, False)]
            items.append({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "uid": f"uid-{ns}-{name}",
                             "labels": {"app": app, "pod-template-hash": rs_hash[:9]},
                             "ownerReferences": [owner], "creationTimestamp": "2026-11-01T12:00:00Z"},
                "spec": spec,
                "status": {"phase": random.choices(["Running", "Pending", "Succeeded"], [0.95, 0.03, 0.02])[0],
                           "podIP": f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(256)}",
                           "hostIP": f"192.168.{random.randrange(256)}.{random.randrange(256)}",
                           "qosClass": "Burstable", "startTime": "2026-11-01T12:00:05Z"},
            })
            pod_count += 1
            left -= 1

LEAN_CONTAINER = ("name", "image", "env", "envFrom", "volumeMounts", "securityContext")
LEAN_SPEC = ("serviceAccountName", "nodeName", "containers", "initContainers", "volumes",
             "automountServiceAccountToken", "hostPID", "hostNetwork", "securityContext")


def leaned(item):
    if item["kind"] != "Pod":
        return item
    spec = {k: v for k, v in item["spec"].items() if k in LEAN_SPEC}
    for key in ("containers", "initContainers"):
        if key in spec:
            spec[key] = [{k: v for k, v in c.items() if k in LEAN_CONTAINER} for c in spec[key]]
    meta = {k: v for k, v in item["metadata"].items() if k != "creationTimestamp"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": {"phase": item["status"]["phase"]}}


if lean:
    items = [leaned(i) for i in items]

with open(out_path, "w") as f:
    json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}, f)
print(f"{out_path}: {pod_count} pods, {namespaces} namespaces, {len(items)} objects", file=sys.stderr)
