#!/usr/bin/env python3
"""The floor of a live scan: the lists rbacscan reads, fetched concurrently
by a plain HTTP client (one thread per list, pages in sequence, the same
page size), with nothing decoded beyond finding the `continue` token.

Usage: list-floor.py KUBECONFIG [CHUNK]    (needs PyYAML)

Prints the wall time and the pages and bytes fetched. For the test API
server of the benchmarks (`examples/test-apiserver.rs`): bearer token and
certificate-authority-data from the kubeconfig's current context.
"""
import base64
import json
import ssl
import sys
import tempfile
import threading
import time
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
headers = {"Authorization": "Bearer " + user["token"], "Accept": "application/json"}
LISTS = [
    "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    "/apis/rbac.authorization.k8s.io/v1/roles",
    "/apis/rbac.authorization.k8s.io/v1/rolebindings",
    "/api/v1/serviceaccounts",
    "/api/v1/pods",
    "/api/v1/namespaces",
]
totals = {}


def fetch(path):
    cont, pages, size = "", 0, 0
    while True:
        query = {"limit": str(chunk)}
        if cont:
            query["continue"] = cont
        req = urllib.request.Request(cluster["server"] + path + "?" + urllib.parse.urlencode(query), headers=headers)
        body = urllib.request.urlopen(req, context=tls).read()
        pages += 1
        size += len(body)
        cont = json.loads(body).get("metadata", {}).get("continue", "")
        if not cont:
            break
    totals[path] = (pages, size)


start = time.monotonic()
threads = [threading.Thread(target=fetch, args=(p,)) for p in LISTS]
for t in threads:
    t.start()
for t in threads:
    t.join()
took = time.monotonic() - start
pages = sum(p for p, _ in totals.values())
size = sum(s for _, s in totals.values())
print(f"{took:.2f} s, {pages} pages, {size / 1e6:.1f} MB")
