#!/usr/bin/env python3
"""The floor of a live scan: the lists a default `rbacscan scan` reads
(src/source/live/: every kind but Secrets, which need `--secret-metadata`,
and EKS's aws-auth, fetched by name only with `--platform eks`), fetched
concurrently by a plain HTTP client (one thread per list, pages in
sequence, the same page size), with nothing decoded beyond finding the
`continue` token. CustomResourceDefinitions are asked for metadata only,
as rbacscan asks. The custom resources (Argo CD AppProjects,
external-secrets ClusterSecretStores) are tried as rbacscan tries them: a
404 (their CRD is not installed) ends that list, and the request counts.

Usage: list-floor.py KUBECONFIG [CHUNK]    (needs PyYAML)

Prints the wall time and the pages and bytes fetched (404 answers
included). For the test API server of the benchmarks
(`examples/test-apiserver.rs`): bearer token and certificate-authority-data
from the kubeconfig's current context.
"""
import base64
import json
import ssl
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

config = yaml.safe_load(open(sys.argv[1]))
chunk = int(sys.argv[2]) if len(sys.argv) > 2 else 500
context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
ca = tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False)
ca.write(base64.b64decode(cluster["certificate-authority-data"]).decode())
ca.close()
tls = ssl.create_default_context(cafile=ca.name)
JSON = "application/json"
METADATA = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
# (path, Accept, a 404 ends the list): Kind::ALL but Secret, as list.rs asks.
LISTS = [
    ("/apis/rbac.authorization.k8s.io/v1/clusterroles", JSON, False),
    ("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", JSON, False),
    ("/apis/rbac.authorization.k8s.io/v1/roles", JSON, False),
    ("/apis/rbac.authorization.k8s.io/v1/rolebindings", JSON, False),
    ("/api/v1/serviceaccounts", JSON, False),
    ("/api/v1/pods", JSON, False),
    ("/api/v1/namespaces", JSON, False),
    ("/apis/apps/v1/deployments", JSON, False),
    ("/apis/apps/v1/replicasets", JSON, False),
    ("/apis/apps/v1/statefulsets", JSON, False),
    ("/apis/apps/v1/daemonsets", JSON, False),
    ("/apis/batch/v1/jobs", JSON, False),
    ("/apis/batch/v1/cronjobs", JSON, False),
    ("/api/v1/replicationcontrollers", JSON, False),
    ("/api/v1/nodes", JSON, False),
    ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", METADATA, False),
    ("/apis/argoproj.io/v1alpha1/appprojects", JSON, True),
    ("/apis/external-secrets.io/v1/clustersecretstores", JSON, True),
]
totals = {}


def fetch(path, accept, absent_ok):
    headers = {"Authorization": "Bearer " + user["token"], "Accept": accept}
    cont, pages, size = "", 0, 0
    while True:
        query = {"limit": str(chunk)}
        if cont:
            query["continue"] = cont
        req = urllib.request.Request(cluster["server"] + path + "?" + urllib.parse.urlencode(query), headers=headers)
        try:
            body = urllib.request.urlopen(req, context=tls).read()
        except urllib.error.HTTPError as e:
            if not (e.code == 404 and absent_ok and not cont):
                raise
            body = e.read()
            pages += 1
            size += len(body)
            break
        pages += 1
        size += len(body)
        cont = json.loads(body).get("metadata", {}).get("continue", "")
        if not cont:
            break
    totals[path] = (pages, size)


start = time.monotonic()
threads = [threading.Thread(target=fetch, args=entry) for entry in LISTS]
for t in threads:
    t.start()
for t in threads:
    t.join()
took = time.monotonic() - start
pages = sum(p for p, _ in totals.values())
size = sum(s for _, s in totals.values())
print(f"{took:.2f} s, {pages} pages, {size / 1e6:.1f} MB")
