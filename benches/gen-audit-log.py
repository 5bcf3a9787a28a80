#!/usr/bin/env python3
"""Write a realistic API server audit log (the log backend's JSON lines) of about SIZE_MB megabytes.

Usage: gen-audit-log.py SIZE_MB OUT [--cluster FILE] [--seed N] [--gzip]

A week of requests, as kube-apiserver writes them with a policy that logs most requests at Metadata
level and writes at Request or RequestResponse level:
- most requests have a RequestReceived and a ResponseComplete event (some policies omit
  RequestReceived: about a third here do); watches have ResponseStarted, and their ResponseComplete
  comes when they time out, minutes later, other requests in between; some are still open at the end;
- about 3% are denied (403, `authorization.k8s.io/decision: forbid`), a few are unauthenticated
  (401, no user) or anonymous;
- non-resource URLs (/healthz, /version, /apis, ...), subresources (pods/log, pods/exec,
  deployments/scale, ...), impersonation;
- writes at Request or RequestResponse level carry their bodies (requestObject, responseObject),
  Secrets with their data among them;
- the decision and reason annotations are the RBAC authorizer's (`RBAC: allowed by RoleBinding
  "NAME/NAMESPACE" of Role "ROLE" to ServiceAccount "SA/NAMESPACE"`, `... ClusterRoleBinding "NAME"
  of ClusterRole "ROLE" to Group "G"`), as plugin/pkg/auth/authorizer/rbac/rbac.go writes them.

With --cluster FILE (a kubectl `v1 List` in JSON, such as `gen-dense-cluster.py 10000` prints), the
requests are made by that cluster's ServiceAccounts (`system:serviceaccount:NS:NAME`, groups
`system:serviceaccounts`, `system:serviceaccounts:NS`, `system:authenticated`) under its
RoleBindings and ClusterRoleBindings, on the resources and namespaces of the rules they grant: the
log matches the cluster. Without it, a few fixed identities (controllers, a node, CoreDNS,
Prometheus, a CI ServiceAccount, an admin, a developer) make them.

With --gzip, OUT is gzip, a member per 128 MB (as logrotate's files concatenated). The same seed
writes the same log."""
import argparse
import gzip
import zlib
import heapq
import json
import random
import sys

WEEK = 7 * 24 * 3600
START = 1714521600  # 2024-05-01T00:00:00Z
VERSIONS = {"": "v1", "apps": "v1", "batch": "v1", "coordination.k8s.io": "v1", "rbac.authorization.k8s.io": "v1",
            "networking.k8s.io": "v1", "discovery.k8s.io": "v1", "policy": "v1", "autoscaling": "v2"}
READS = ["get", "list", "watch"]
ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
NON_RESOURCE = ["/healthz", "/livez", "/readyz", "/version", "/apis", "/api", "/openapi/v2", "/metrics"]
DISCOVERY = 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"'
PUBLIC = 'RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"'


def js(s):
    """A JSON string as Go's encoder writes it (&, < and > escaped)."""
    return json.dumps(s).replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


class Actor:
    """Someone who makes requests: the user JSON, and what it is allowed to do."""

    def __init__(self, user, groups, agent, ip, grants, weight=1.0, extra=None):
        u = {"username": user, "uid": f"{zlib.crc32(user.encode()):010d}", "groups": groups}
        if extra:
            u["extra"] = extra
        self.user = json.dumps(u, separators=(",", ":"))
        self.agent = js(agent)
        self.ip = ip
        self.grants = grants
        self.weight = weight


class Grant:
    """One rule granted by one binding: what it allows, where, and the authorizer's reason."""

    def __init__(self, reason, group, resources, verbs, namespaces, names=None):
        self.reason = js(reason)
        self.group = group
        self.resources = resources
        self.verbs = verbs
        self.namespaces = namespaces  # [None] for cluster-wide
        self.names = names


def rbac_reason(binding_kind, binding, binding_ns, role_kind, role, subject_kind, subject, subject_ns=None):
    name = f"{binding}/{binding_ns}" if binding_kind == "RoleBinding" else binding
    who = f"{subject}/{subject_ns}" if subject_kind == "ServiceAccount" else subject
    return f'RBAC: allowed by {binding_kind} "{name}" of {role_kind} "{role}" to {subject_kind} "{who}"'


def fixed_actors():
    sa_groups = lambda ns: ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
    kcm = "system:kube-controller-manager"
    crb = lambda n, s, k="User": rbac_reason("ClusterRoleBinding", n, None, "ClusterRole", n, k, s)
    namespaces = ["default", "kube-system", "shop", "dev", "monitoring", "payments"]
    return [
        Actor(kcm, ["system:authenticated"], "kube-controller-manager/v1.30.0 (linux/amd64) kubernetes/7c48c2b/leader-election",
              "10.0.0.10", [
                  Grant(crb(kcm, kcm), "coordination.k8s.io", ["leases"], ["get", "update"], ["kube-system"], ["kube-controller-manager"]),
                  Grant(crb(kcm, kcm), "", ["pods", "nodes", "services", "endpoints", "namespaces"], READS, [None]),
                  Grant(crb(kcm, kcm), "apps", ["deployments", "replicasets", "deployments/status", "replicasets/status"], ["get", "list", "watch", "update"], namespaces),
                  Grant(crb(kcm, kcm), "", ["events"], ["create", "patch"], namespaces),
              ], weight=4),
        Actor("system:kube-scheduler", ["system:authenticated"], "kube-scheduler/v1.30.0 (linux/amd64) kubernetes/7c48c2b/leader-election",
              "10.0.0.10", [
                  Grant(crb("system:kube-scheduler", "system:kube-scheduler"), "coordination.k8s.io", ["leases"], ["get", "update"], ["kube-system"], ["kube-scheduler"]),
                  Grant(crb("system:kube-scheduler", "system:kube-scheduler"), "", ["pods", "nodes"], READS, [None]),
                  Grant(crb("system:kube-scheduler", "system:kube-scheduler"), "", ["pods/binding"], ["create"], namespaces),
              ], weight=3),
        Actor("system:node:ip-10-0-1-23.ec2.internal", ["system:nodes", "system:authenticated"], "kubelet/v1.30.0 (linux/amd64) kubernetes/7c48c2b",
              "10.0.1.23", [
                  Grant("", "", ["pods", "configmaps", "secrets"], ["get", "list", "watch"], namespaces),
                  Grant("", "", ["pods/status"], ["patch"], namespaces),
                  Grant("", "coordination.k8s.io", ["leases"], ["get", "update"], ["kube-node-lease"], ["ip-10-0-1-23.ec2.internal"]),
              ], weight=3),
        Actor("system:serviceaccount:kube-system:coredns", sa_groups("kube-system"), "coredns/v1.11.1", "10.0.2.5", [
            Grant(rbac_reason("ClusterRoleBinding", "system:coredns", None, "ClusterRole", "system:coredns", "ServiceAccount", "coredns", "kube-system"),
                  "discovery.k8s.io", ["endpointslices"], ["list", "watch"], [None]),
            Grant(rbac_reason("ClusterRoleBinding", "system:coredns", None, "ClusterRole", "system:coredns", "ServiceAccount", "coredns", "kube-system"),
                  "", ["services", "namespaces"], ["list", "watch"], [None]),
        ], weight=2),
        Actor("system:serviceaccount:monitoring:prometheus", sa_groups("monitoring"), "Prometheus/2.51.0", "10.0.2.9", [
            Grant(rbac_reason("ClusterRoleBinding", "prometheus", None, "ClusterRole", "prometheus", "ServiceAccount", "prometheus", "monitoring"),
                  "", ["pods", "nodes", "services", "endpoints"], READS, [None]),
        ]),
        Actor("system:serviceaccount:shop:ci", sa_groups("shop"), "argocd-application-controller/v2.10", "10.0.3.4", [
            Grant(rbac_reason("RoleBinding", "ci", "shop", "Role", "deployer", "ServiceAccount", "ci", "shop"),
                  "apps", ["deployments", "deployments/scale"], ["get", "list", "watch", "patch", "update"], ["shop"]),
            Grant(rbac_reason("RoleBinding", "ci", "shop", "Role", "deployer", "ServiceAccount", "ci", "shop"),
                  "", ["pods/log", "pods/exec", "secrets", "configmaps"], ["get", "create"], ["shop"]),
        ], extra={"authentication.kubernetes.io/pod-name": ["ci-7d9f-x2"], "authentication.kubernetes.io/credential-id": ["JTI=2f1c0a"]}),
        Actor("kubernetes-admin", ["system:masters", "system:authenticated"], "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b", "192.0.2.44", [
            Grant('RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
                  "", ["pods", "secrets", "configmaps", "namespaces", "pods/exec", "pods/log"], ALL_VERBS, namespaces),
            Grant('RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
                  "rbac.authorization.k8s.io", ["clusterrolebindings", "rolebindings"], ALL_VERBS, [None]),
        ], weight=0.3),
        Actor("alice@example.com", ["developers", "system:authenticated"], "kubectl/v1.29.2 (darwin/arm64) kubernetes/4b8e819", "198.51.100.7", [
            Grant(rbac_reason("RoleBinding", "devs", "dev", "ClusterRole", "edit", "Group", "developers"),
                  "", ["pods", "services", "configmaps", "pods/log", "pods/exec"], ALL_VERBS, ["dev"]),
            Grant(rbac_reason("RoleBinding", "devs", "dev", "ClusterRole", "edit", "Group", "developers"),
                  "apps", ["deployments", "deployments/scale"], ALL_VERBS, ["dev"]),
        ], weight=0.5),
    ]


def cluster_actors(path, rnd):
    """The cluster's ServiceAccounts and the grants their bindings give them."""
    with open(path) as f:
        items = json.load(f)["items"]
    roles, cluster_roles, sas, names = {}, {}, [], {}
    for o in items:
        kind, m = o.get("kind"), o.get("metadata", {})
        if kind == "Role":
            roles[(m.get("namespace"), m["name"])] = o.get("rules") or []
        elif kind == "ClusterRole":
            cluster_roles[m["name"]] = o.get("rules") or []
        elif kind == "ServiceAccount":
            sas.append((m["namespace"], m["name"]))
        if kind in ("Pod", "Deployment", "ReplicaSet", "ServiceAccount", "Secret", "ConfigMap", "Job"):
            res = kind.lower() + "s"
            names.setdefault((m.get("namespace"), res), []).append(m["name"])
    grants = {}
    all_ns = sorted({ns for ns, _ in sas})

    def add(sa_ns, sa_name, rules, reason, namespaces):
        for r in rules:
            for g in r.get("apiGroups", [""]):
                if g == "*":
                    g = ""
                verbs = [v for v in r.get("verbs", []) if v != "*"] or ALL_VERBS
                res = [x for x in r.get("resources", []) if x != "*"] or ["pods"]
                grants.setdefault((sa_ns, sa_name), []).append(Grant(reason, g, res, verbs, namespaces, r.get("resourceNames")))

    for o in items:
        kind, m = o.get("kind"), o.get("metadata", {})
        if kind not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        ref = o.get("roleRef", {})
        rules = roles.get((m.get("namespace"), ref.get("name"))) if ref.get("kind") == "Role" else cluster_roles.get(ref.get("name"))
        if not rules:
            continue
        for s in o.get("subjects") or []:
            if s.get("kind") != "ServiceAccount":
                continue
            sns = s.get("namespace") or m.get("namespace")
            reason = rbac_reason(kind, m["name"], m.get("namespace"), ref["kind"], ref["name"], "ServiceAccount", s["name"], sns)
            where = [m["namespace"]] if kind == "RoleBinding" else rnd.sample(all_ns, min(3, len(all_ns))) + [None]
            add(sns, s["name"], rules, reason, where)
    actors = []
    for ns, name in sas:
        groups = ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
        extra = {"authentication.kubernetes.io/pod-name": [f"{name}-{rnd.getrandbits(20):05x}"],
                 "authentication.kubernetes.io/credential-id": [f"JTI={rnd.getrandbits(64):016x}"]}
        actors.append(Actor(f"system:serviceaccount:{ns}:{name}", groups, f"{name}/v1.0 (linux/amd64)",
                            f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}",
                            grants.get((ns, name), []), weight=3.0 if (ns, name) in grants else 0.3, extra=extra))
    return actors, names, all_ns


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("size_mb", type=float)
    ap.add_argument("out")
    ap.add_argument("--cluster")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--gzip", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    names, all_ns = {}, ["default", "kube-system", "shop", "dev", "monitoring"]
    if a.cluster:
        actors, names, all_ns = cluster_actors(a.cluster, rnd)
    else:
        actors = fixed_actors()
    cum_weights, total = [], 0.0
    for x in actors:
        total += x.weight
        cum_weights.append(total)
    target = int(a.size_mb * 1_000_000)
    # About 850 bytes an event and 1.8 events a request: the mean gap between requests.
    gap = WEEK / max(1.0, target / 1550)

    out = gzip.open(a.out, "wb", compresslevel=6) if a.gzip else open(a.out, "wb", buffering=1 << 22)
    member_bytes = 0
    written = 0
    buf = []
    buf_len = 0
    watches = []  # (end time, seq, line) of open watches
    seq = 0
    t = float(START)

    def stamp(x):
        s = int(x)
        us = int((x - s) * 1_000_000)
        d, r = divmod(s - START, 86400)
        return f"2024-05-{1 + d:02d}T{r // 3600:02d}:{r % 3600 // 60:02d}:{r % 60:02d}.{us:06d}Z"

    def emit(line):
        nonlocal buf_len
        buf.append(line)
        buf_len += len(line) + 1

    def uid():
        h = f"{rnd.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    def name_for(ns, res):
        got = names.get((ns, res))
        if got:
            return rnd.choice(got)
        return f"{res.rstrip('s')}-{rnd.randrange(40)}"

    while written + buf_len < target:
        t += rnd.expovariate(1.0 / gap)
        while watches and watches[0][0] <= t:
            emit(heapq.heappop(watches)[2])
        actor = rnd.choices(actors, cum_weights=cum_weights)[0]
        roll = rnd.random()
        ann = ""
        code = 200
        level = "Metadata"
        body = ""
        imp = ""
        user = actor.user
        agent, ip = actor.agent, actor.ip
        if roll < 0.004:
            # No credentials: 401, written at ResponseStarted without a user.
            rr = stamp(t)
            path = rnd.choice(["/api/v1/namespaces/kube-system/secrets", "/api/v1/pods", "/apis/apps/v1/deployments"])
            emit(f'{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{uid()}","stage":"ResponseStarted",'
                 f'"requestURI":"{path}","verb":"list","user":{{}},"sourceIPs":["203.0.113.{rnd.randrange(1, 255)}"],'
                 f'"userAgent":"curl/8.5.0","responseStatus":{{"metadata":{{}},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}},'
                 f'"requestReceivedTimestamp":"{rr}","stageTimestamp":"{rr}"}}')
            continue
        if roll < 0.012:
            # Anonymous health checks, allowed to the public endpoints.
            user = '{"username":"system:anonymous","groups":["system:unauthenticated"]}'
            agent, ip = js("kube-probe/1.30"), "10.0.0.1"
            verb, group, res, sub, ns, name = "get", None, None, "", None, None
            uri = rnd.choice(["/healthz", "/livez", "/readyz", "/version"])
            ann = f'"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":{js(PUBLIC)}'
        elif roll < 0.06 or not actor.grants:
            # Discovery and health: non-resource URLs.
            verb, group, res, sub, ns, name = "get", None, None, "", None, None
            uri = rnd.choice(NON_RESOURCE)
            if uri == "/apis" and rnd.random() < 0.5:
                uri += "?timeout=32s"
            ann = f'"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":{js(DISCOVERY)}'
            if not actor.grants and rnd.random() < 0.1:
                # What it is not allowed to do.
                verb, group, res, sub = rnd.choice(ALL_VERBS), "", rnd.choice(["secrets", "pods", "configmaps"]), ""
                ns = rnd.choice(all_ns)
                name = name_for(ns, res) if verb not in ("list", "watch", "create") else None
                code = 403
        else:
            g = rnd.choice(actor.grants)
            verb = rnd.choice(g.verbs)
            res = rnd.choice(g.resources)
            res, _, sub = res.partition("/")
            group = g.group
            ns = rnd.choice(g.namespaces)
            if sub in ("log", "exec", "scale", "status", "binding"):
                verb = {"log": "get", "exec": "create", "scale": rnd.choice(["get", "update", "patch"]),
                        "status": rnd.choice(["update", "patch"]), "binding": "create"}[sub]
            if res in ("nodes", "namespaces", "clusterrolebindings", "clusterroles") or (ns is None and verb not in ("list", "watch")):
                ns = None if res in ("nodes", "namespaces", "clusterrolebindings", "clusterroles") else rnd.choice(all_ns)
            name = None
            if verb not in ("list", "watch", "create") or sub:
                name = rnd.choice(g.names) if g.names else name_for(ns, res)
            if rnd.random() < 0.03:
                code = 403
            else:
                ann = f'"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":{g.reason}'
            if res is not None and rnd.random() < 0.002 and '"system:masters"' in actor.user:
                imp = ',"impersonatedUser":{"username":"jane@example.com","groups":["developers","system:authenticated"]}'
            uri = None
        if code == 403:
            ann = '"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""'
        # The request's URI and objectRef.
        obj = ""
        if res is not None:
            version = VERSIONS.get(group, "v1")
            base = f"/api/{version}" if group == "" else f"/apis/{group}/{version}"
            path = base + (f"/namespaces/{ns}" if ns else "") + f"/{res}" + (f"/{name}" if name else "") + (f"/{sub}" if sub else "")
            query = ""
            if verb == "list":
                query = "?limit=500\\u0026resourceVersion=0"
            elif verb == "watch":
                query = f"?allowWatchBookmarks=true\\u0026resourceVersion={rnd.randrange(10**8)}\\u0026timeout={rnd.randrange(5, 10)}m0s\\u0026timeoutSeconds={rnd.randrange(300, 600)}\\u0026watch=true"
            elif sub == "log":
                query = "?container=app\\u0026follow=true\\u0026tailLines=100"
            elif sub == "exec":
                query = "?command=sh\\u0026container=app\\u0026stdin=true\\u0026stdout=true\\u0026tty=true"
            uri = path + query
            fields = [f'"resource":"{res}"']
            if ns:
                fields.append(f'"namespace":"{ns}"')
            named = name and (verb != "create" or sub)
            if named:
                fields.append(f'"name":"{name}"')
            if group:
                fields.append(f'"apiGroup":"{group}"')
            fields.append(f'"apiVersion":"{version}"')
            if sub:
                fields.append(f'"subresource":"{sub}"')
            obj = ',"objectRef":{' + ",".join(fields) + "}"
            if code == 200 and verb in ("create", "update", "patch") and not sub and rnd.random() < 0.2:
                level = "RequestResponse" if rnd.random() < 0.5 else "Request"
                kind = {"secrets": "Secret", "configmaps": "ConfigMap", "pods": "Pod", "deployments": "Deployment"}.get(res, "ConfigMap")
                if res == "secrets" or rnd.random() < 0.3:
                    kind = "Secret"
                new_name = name or f"{res.rstrip('s')}-{rnd.getrandbits(24):06x}"
                if kind == "Secret":
                    data = ",".join(f'"key{k}":"{rnd.getrandbits(192):048x}"' for k in range(rnd.randrange(1, 4)))
                    o = f'{{"kind":"Secret","apiVersion":"v1","metadata":{{"name":"{new_name}","namespace":"{ns}"}},"data":{{{data}}},"type":"Opaque"}}'
                else:
                    data = ",".join(f'"k{k}":"{"v" * rnd.randrange(10, 200)}"' for k in range(rnd.randrange(1, 8)))
                    o = f'{{"kind":"{kind}","apiVersion":"v1","metadata":{{"name":"{new_name}","namespace":"{ns}","labels":{{"app":"web"}}}},"data":{{{data}}}}}'
                body = f',"requestObject":{o}'
                if level == "RequestResponse":
                    body += ',"responseObject":' + o.replace('"metadata":{', f'"metadata":{{"uid":"{uid()}","resourceVersion":"{rnd.randrange(10**8)}",', 1)
                if verb == "create" and not named:
                    obj = obj[:-1] + f',"name":"{new_name}"}}'
        if code == 200 and verb == "create" and res is not None and not sub:
            code = 201
        rid = uid()
        rr = stamp(t)
        head = (f'{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{level}","auditID":"{rid}","stage":"%s",'
                f'"requestURI":"{uri}","verb":"{verb}","user":{user}{imp},"sourceIPs":["{ip}"],"userAgent":{agent}')
        if rnd.random() < 0.67:
            # RequestReceived: before the authorizer, without the name of an object created.
            rr_obj = obj
            if verb == "create" and '"name"' in obj and not sub:
                rr_obj = obj[:obj.rindex(',"name"')] + "}"
            emit(head % "RequestReceived" + rr_obj + (body.split(',"responseObject"')[0] if level != "Metadata" else "")
                 + f',"requestReceivedTimestamp":"{rr}","stageTimestamp":"{rr}"}}')
        if code == 403:
            status = ('"responseStatus":{"metadata":{},"status":"Failure","message":"forbidden: User cannot '
                      + verb + ' resource","reason":"Forbidden","details":{},"code":403}')
            body = ""
        else:
            status = f'"responseStatus":{{"metadata":{{}},"code":{code}}}'
        done = stamp(t + rnd.random() * 0.05)
        annotations = f',"annotations":{{{ann}}}' if ann else ""
        if verb == "watch" and code == 200:
            emit(head % "ResponseStarted" + obj + "," + status + f',"requestReceivedTimestamp":"{rr}","stageTimestamp":"{done}"' + annotations + "}")
            end = t + rnd.uniform(300, 600)
            seq += 1
            heapq.heappush(watches, (end, seq, head % "ResponseComplete" + obj + "," + status
                                     + f',"requestReceivedTimestamp":"{rr}","stageTimestamp":"{stamp(end)}"' + annotations + "}"))
        else:
            emit(head % "ResponseComplete" + obj + "," + status + body + f',"requestReceivedTimestamp":"{rr}","stageTimestamp":"{done}"' + annotations + "}")
        if buf_len > 1 << 22:
            data = ("\n".join(buf) + "\n").encode()
            out.write(data)
            written += len(data)
            member_bytes += len(data)
            buf.clear()
            buf_len = 0
            if a.gzip and member_bytes >= 128_000_000:
                out.close()
                out = gzip.open(a.out, "ab", compresslevel=6)
                member_bytes = 0
    if buf:
        out.write(("\n".join(buf) + "\n").encode())
    out.close()


if __name__ == "__main__":
    sys.exit(main())
