#!/usr/bin/env python3
"""Reference for bench/policy.sh: a straightforward Python evaluation of
the Kubernetes NetworkPolicy connectivity matrix of a generated cluster
(pods x pods, TCP ports 8000-8049, ingress isolation, podSelector with
matchLabels/matchExpressions In, namespaceSelector, named ports).  It is
what a script around PyYAML would do; it ignores the Cilium policies, so
it does less work than policy-tester.  Prints the number of allowed
(pair, port) cells."""
import sys
import yaml


def sel_match(sel, labels):
    if sel is None:
        return True
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        if e["operator"] == "In" and labels.get(e["key"]) not in e["values"]:
            return False
    return True


def main():
    docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
    nss = {d["metadata"]["name"]: d["metadata"].get("labels", {})
           for d in docs if d["kind"] == "Namespace"}
    pods = [d for d in docs if d["kind"] == "Pod"]
    nps = [d for d in docs if d["kind"] == "NetworkPolicy"]
    allowed = 0
    for dst in pods:
        md = dst["metadata"]
        sel = [p for p in nps if p["metadata"]["namespace"] == md["namespace"]
               and sel_match(p["spec"]["podSelector"], md["labels"])]
        ports = {c["name"]: c["containerPort"]
                 for ct in dst["spec"]["containers"]
                 for c in ct.get("ports", [])}
        for src in pods:
            smd = src["metadata"]
            for port in range(8000, 8050):
                if not sel:
                    allowed += 1
                    continue
                ok = False
                for p in sel:
                    for r in p["spec"].get("ingress") or []:
                        pm = False
                        for pp in r.get("ports") or [{}]:
                            v = pp.get("port")
                            if pp.get("protocol", "TCP") != "TCP":
                                continue
                            if v is None or v == port or ports.get(v) == port:
                                pm = True
                        if not pm:
                            continue
                        for peer in r.get("from") or [{}]:
                            if "ipBlock" in peer:
                                continue
                            nsel = peer.get("namespaceSelector")
                            if nsel is None:
                                if smd["namespace"] != md["namespace"]:
                                    continue
                            elif not sel_match(nsel, nss.get(smd["namespace"], {})):
                                continue
                            if sel_match(peer.get("podSelector"), smd["labels"]):
                                ok = True
                                break
                        if ok:
                            break
                    if ok:
                        break
                allowed += ok
    print(allowed)


main()
