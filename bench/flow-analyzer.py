#!/usr/bin/env python3
"""flow-analyzer.py - the benchmark's reference: the aggregation of
`flow-analyzer --json` written the way the original Python tool was
(json module, dicts): node naming, reply orientation, edges with
verdict counts, first/last, L7 counts, HTTP 4xx/5xx, DNS errors per
query, drop reasons, TCP resets, top talkers/destinations/ports,
protocol/verdict/direction mixes, flows per second, per-node counts,
latency percentiles (exact, from kept lists) per edge and service.
Reads flow lines on stdin, prints a JSON summary."""
import json
import re
import sys
from collections import Counter, defaultdict

ALPHA = "[bcdfghjklmnpqrstvwxz2456789]"
POD5 = re.compile("^(.+)-" + ALPHA + "{5}$")
RS = re.compile("^(.+)-[0-9bcdfghjklmnpqrstvwxz]{6,10}$")
STS = re.compile("^(.+)-[0-9]{1,5}$")
RESERVED = ["", "host", "world", "unmanaged", "health", "init",
            "remote-node", "kube-apiserver", "ingress", "world-ipv4",
            "world-ipv6"]


def workload(pod):
    m = POD5.match(pod)
    if m:
        pod = m.group(1)
        m = RS.match(pod)
        return m.group(1) if m else pod
    m = STS.match(pod)
    return m.group(1) if m else pod


def pfx(ns):
    return ns + "/" if ns else ""


def node(ep, svc, ip, names):
    wl = ep.get("workloads") or []
    if wl and wl[0].get("name"):
        return pfx(ep.get("namespace")) + wl[0]["name"]
    if ep.get("pod_name"):
        return pfx(ep.get("namespace")) + workload(ep["pod_name"])
    ident = ep.get("identity", 0)
    res = RESERVED[ident] if 1 <= ident <= 10 else None
    if res is None:
        for lab in ep.get("labels") or []:
            if lab.startswith("reserved:"):
                res = lab[9:]
                break
    if res and res.startswith("world") and names:
        return names[0]
    if res:
        return res
    if svc.get("name"):
        return pfx(svc.get("namespace")) + svc["name"]
    if names:
        return names[0]
    if ident:
        return "identity:%d" % ident
    return ip or "unknown"


def l4(f):
    for k in ("TCP", "UDP", "ICMPv4", "ICMPv6", "SCTP"):
        if k in f.get("l4", {}):
            return k, f["l4"][k]
    return "-", {}


def is_reply(f, proto, p):
    r = f.get("is_reply")
    if r is not None:
        return r
    if f.get("reply"):
        return True
    if f.get("l7", {}).get("type") == "RESPONSE":
        return True
    fl = p.get("flags", {}) if proto == "TCP" else {}
    if fl.get("SYN") and fl.get("ACK"):
        return True
    if fl.get("SYN"):
        return False
    sp, dp = p.get("source_port", 0), p.get("destination_port", 0)
    return proto in ("TCP", "UDP", "SCTP") and 0 < sp < 32768 <= dp


def pct(v, q):
    return v[int(q * (len(v) - 1))] if v else None


def main():
    edges = {}
    sent, recv, ports, k8s = Counter(), Counter(), Counter(), Counter()
    verdicts, protos, l7s, dirs, series = (Counter(), Counter(), Counter(),
                                           Counter(), Counter())
    dns = defaultdict(lambda: {"queries": 0, "responses": 0, "errors": 0})
    svc_lat = defaultdict(list)
    flows = 0
    for line in sys.stdin:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        f = rec.get("flow")
        if f is None:
            continue
        flows += 1
        proto, p = l4(f)
        rep = is_reply(f, proto, p)
        s = node(f.get("source", {}), f.get("source_service", {}),
                 f.get("IP", {}).get("source"), f.get("source_names"))
        d = node(f.get("destination", {}), f.get("destination_service", {}),
                 f.get("IP", {}).get("destination"),
                 f.get("destination_names"))
        if rep:
            s, d = d, s
            port = p.get("source_port", 0)
            bsvc = f.get("source_service", {})
        else:
            port = p.get("destination_port", 0)
            bsvc = f.get("destination_service", {})
        if proto not in ("TCP", "UDP", "SCTP"):
            port = 0
        v = f.get("verdict", "VERDICT_UNKNOWN")
        t = f.get("time", "")
        key = (s, d, proto, port)
        e = edges.get(key)
        if e is None:
            e = edges[key] = {"flows": 0, "verdicts": Counter(),
                              "first": t, "last": t, "l7_req": 0,
                              "x4": 0, "x5": 0, "rst": 0,
                              "reasons": Counter(), "lat": []}
        e["flows"] += 1
        e["verdicts"][v] += 1
        e["first"] = min(e["first"], t)
        e["last"] = max(e["last"], t)
        if v == "DROPPED":
            e["reasons"][f.get("drop_reason_desc", 0)] += 1
        if p.get("flags", {}).get("RST"):
            e["rst"] += 1
        verdicts[v] += 1
        protos[proto] += 1
        dirs[f.get("traffic_direction", "unknown")] += 1
        series[t[:19]] += 1
        sent[s] += 1
        recv[d] += 1
        if port:
            ports["%s/%d" % (proto, port)] += 1
        k8s[rec.get("node_name") or f.get("node_name")] += 1
        l7 = f.get("l7")
        if not l7:
            continue
        svcname = pfx(bsvc.get("namespace")) + bsvc["name"] \
            if bsvc.get("name") else d
        if l7.get("type") == "REQUEST":
            e["l7_req"] += 1
        if "http" in l7:
            l7s["HTTP"] += 1
            c = l7["http"].get("code", 0)
            if l7.get("type") == "RESPONSE":
                if 400 <= c < 500:
                    e["x4"] += 1
                elif 500 <= c < 600:
                    e["x5"] += 1
        elif "dns" in l7:
            l7s["DNS"] += 1
            q = dns[l7["dns"].get("query", "")]
            if l7.get("type") == "REQUEST":
                q["queries"] += 1
            elif l7.get("type") == "RESPONSE":
                q["responses"] += 1
                if l7["dns"].get("rcode", 0):
                    q["errors"] += 1
        elif "kafka" in l7:
            l7s["Kafka"] += 1
        lat = int(l7.get("latency_ns", "0"))
        if l7.get("type") == "RESPONSE" and lat > 0:
            e["lat"].append(lat)
            svc_lat[svcname].append(lat)
    out = {"flows": flows, "verdicts": verdicts, "protocols": protos,
           "l7": l7s, "direction": dirs, "edges": len(edges),
           "top_talkers": sent.most_common(20),
           "top_destinations": recv.most_common(20),
           "top_ports": ports.most_common(20), "k8s_nodes": k8s,
           "series_buckets": len(series),
           "dns_errors": sum(q["errors"] for q in dns.values()),
           "latency": {}}
    for name, v in svc_lat.items():
        v.sort()
        out["latency"][name] = [len(v), pct(v, .5), pct(v, .9),
                                pct(v, .99), v[-1]]
    for e in edges.values():
        e["lat"].sort()
    json.dump(out, sys.stdout, default=str)
    sys.stdout.write("\n")


main()
