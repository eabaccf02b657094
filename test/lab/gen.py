#!/usr/bin/env python3
"""Generate the lab's state from test/lab/topology.

usage: gen.py TOPOLOGY STATE-DIR LAB-ID START-EPOCH

Writes into STATE-DIR:
  objects.json  every Kubernetes object the fake API server serves except
                the policies (it reads those from policies/*.yaml itself)
  pods.tsv      ns name node ip4 ip6 netns lxc hostnet ports (for up.sh)
  nodes.tsv     name netns ip4 ip6 cidr4 cidr6 gw4 gw6 (for up.sh)
  lab.nft       the nftables ruleset loaded into both node namespaces
  rules.tsv     verdict from to l4 policy (the rule table, for tests
                and the hubble/cilium-dbg stand-ins)

Only the standard library is used.  Names and addresses inside the lab
never depend on LAB-ID; only the network namespace names do.
"""
import hashlib
import ipaddress
import json
import sys
import time
import uuid

UUID_NS = uuid.UUID("6f1c2c8e-5b8e-4d3a-9a43-0c1f1ab1ab00")


def die(msg):
    sys.stderr.write("gen.py: %s\n" % msg)
    sys.exit(2)


def uid(kind, ns, name):
    return str(uuid.uuid5(UUID_NS, "%s/%s/%s" % (kind, ns, name)))


def labels_of(s):
    out = {}
    if s == "-":
        return out
    for kv in s.split(","):
        k, _, v = kv.partition("=")
        out[k] = v
    return out


def ports_of(s):
    out = []
    if s == "-":
        return out
    for p in s.split(","):
        name, _, rest = p.partition(":")
        port, _, proto = rest.partition("/")
        out.append({"name": name, "port": int(port), "protocol": proto})
    return out


def read_topology(path):
    nodes, pods, svcs, rules = [], [], [], []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            kind, args = line[0], line[1:]
            want = {"node": 5, "pod": 7, "svc": 5, "rule": 5}.get(kind)
            if want is None or len(args) != want:
                die("%s:%d: bad line" % (path, lineno))
            if kind == "node":
                nodes.append(dict(zip(
                    ["name", "ip4", "ip6", "cidr4", "cidr6"], args)))
            elif kind == "pod":
                pods.append(dict(zip(
                    ["ns", "name", "node", "ip4", "owner", "labels",
                     "ports"], args)))
            elif kind == "svc":
                svcs.append(dict(zip(
                    ["ns", "name", "ip", "selector", "ports"], args)))
            else:
                rules.append(dict(zip(
                    ["verdict", "src", "dst", "l4", "policy"], args)))
    return nodes, pods, svcs, rules


def stamp(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def main():
    if len(sys.argv) != 5:
        die("usage: gen.py TOPOLOGY STATE-DIR LAB-ID START-EPOCH")
    topo, state, lab_id, start = sys.argv[1:]
    start = int(start)
    created = stamp(start - 3600)       # the cluster is an hour old
    nodes, pods, svcs, rules = read_topology(topo)
    node_by_name = {n["name"]: n for n in nodes}
    rv = [1000]

    def meta(kind, ns, name, labels=None, extra=None):
        rv[0] += 7
        m = {"name": name, "uid": uid(kind, ns, name),
             "resourceVersion": str(rv[0]),
             "creationTimestamp": created}
        if ns:
            m["namespace"] = ns
        if labels:
            m["labels"] = dict(labels)
        if extra:
            m.update(extra)
        return m

    items = []
    namespaces = []
    for p in pods:
        if p["ns"] not in namespaces:
            namespaces.append(p["ns"])
    if "default" not in namespaces:
        namespaces.insert(0, "default")
    for ns in namespaces:
        items.append({"apiVersion": "v1", "kind": "Namespace",
                      "metadata": meta("Namespace", None, ns,
                                       {"kubernetes.io/metadata.name": ns}),
                      "spec": {"finalizers": ["kubernetes"]},
                      "status": {"phase": "Active"}})

    for i, n in enumerate(nodes):
        n["netns"] = "%s-%s" % (lab_id, n["name"])
        net4 = ipaddress.ip_network(n["cidr4"])
        net6 = ipaddress.ip_network(n["cidr6"])
        n["gw4"] = str(net4.network_address + 1)     # cilium_host
        n["gw6"] = str(net6.network_address + 1)
        items.append({
            "apiVersion": "v1", "kind": "Node",
            "metadata": meta("Node", None, n["name"], {
                "kubernetes.io/hostname": n["name"],
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "cilkit.io/lab": "true"},
                {"annotations": {
                    "io.cilium.network.ipv4-cilium-host": n["gw4"],
                    "io.cilium.network.ipv4-pod-cidr": n["cidr4"]}}),
            "spec": {"podCIDR": n["cidr4"],
                     "podCIDRs": [n["cidr4"], n["cidr6"]]},
            "status": {
                "addresses": [
                    {"type": "InternalIP", "address": n["ip4"]},
                    {"type": "InternalIP", "address": n["ip6"]},
                    {"type": "Hostname", "address": n["name"]}],
                "conditions": [{
                    "type": "Ready", "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": stamp(start),
                    "lastTransitionTime": created}],
                "nodeInfo": {
                    "kubeletVersion": "v1.32.4",
                    "kubeProxyVersion": "v1.32.4",
                    "containerRuntimeVersion": "containerd://1.7.24",
                    "operatingSystem": "linux", "architecture": "amd64",
                    "osImage": "cilkit lab (network namespaces)",
                    "kernelVersion": "lab"}}})

    ident = {}

    def identity(ns, labels):
        key = (ns, tuple(sorted(labels.items())))
        if key not in ident:
            h = hashlib.sha256(repr(key).encode()).digest()
            ident[key] = 10000 + int.from_bytes(h[:4], "big") % 50000
        return ident[key]

    pod_rows = []
    for p in pods:
        n = node_by_name.get(p["node"])
        if n is None:
            die("pod %s/%s: unknown node %s" % (p["ns"], p["name"], p["node"]))
        host = p["ip4"] == "host"
        labels = labels_of(p["labels"])
        ports = ports_of(p["ports"])
        if host:
            ip4, ip6, netns, lxc = n["ip4"], n["ip6"], n["netns"], "-"
        else:
            ip4 = p["ip4"]
            last = int(ipaddress.ip_address(ip4)) & 0xff
            ip6 = str(ipaddress.ip_network(n["cidr6"]).network_address + last)
            netns = "%s-%s-%s" % (lab_id, p["ns"], p["name"])
            lxc = "lxc" + hashlib.sha256(
                ("%s/%s" % (p["ns"], p["name"])).encode()).hexdigest()[:12]
        p.update(ip6=ip6, netns=netns, lxc=lxc, host=host, ip4=ip4)
        okind, oname = p["owner"].split("/", 1)
        oapi = "apps/v1"
        container = "cilium-agent" if host else p["name"]
        if labels.get("k8s-app") == "kube-dns":
            container = "coredns"
        image = {"cilium-agent": "quay.io/cilium/cilium:v1.17.4",
                 "coredns": "registry.k8s.io/coredns/coredns:v1.11.3"}.get(
                     container, "ghcr.io/cilkit/lab-%s:1.0" % p["name"])
        cports = [{"name": x["name"], "containerPort": x["port"],
                   "protocol": x["protocol"]} for x in ports]
        cspec = {"name": container, "image": image,
                 "imagePullPolicy": "IfNotPresent",
                 "resources": {},
                 "terminationMessagePath": "/dev/termination-log",
                 "terminationMessagePolicy": "File"}
        if cports:
            cspec["ports"] = cports
        if host:
            cspec["securityContext"] = {"privileged": True}
        pmeta = meta("Pod", p["ns"], p["name"], labels, {
            "ownerReferences": [{
                "apiVersion": oapi, "kind": okind, "name": oname,
                "uid": uid(okind, p["ns"], oname),
                "controller": True, "blockOwnerDeletion": True}]})
        if okind == "ReplicaSet":
            pmeta["labels"]["pod-template-hash"] = oname.rsplit("-", 1)[1]
        spec = {"containers": [cspec], "nodeName": p["node"],
                "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                "schedulerName": "default-scheduler",
                "serviceAccountName": "cilium" if host else "default",
                "terminationGracePeriodSeconds": 30,
                "enableServiceLinks": True, "priority": 0,
                "preemptionPolicy": "PreemptLowerPriority",
                "tolerations": [{"key": "node.kubernetes.io/not-ready",
                                 "operator": "Exists",
                                 "effect": "NoExecute",
                                 "tolerationSeconds": 300}]}
        if host:
            spec["hostNetwork"] = True
            spec["dnsPolicy"] = "ClusterFirstWithHostNet"
            spec["priorityClassName"] = "system-node-critical"
        started = stamp(start - 3000)
        status = {
            "phase": "Running", "qosClass": "BestEffort",
            "hostIP": n["ip4"],
            "hostIPs": [{"ip": n["ip4"]}, {"ip": n["ip6"]}],
            "podIP": ip4, "podIPs": [{"ip": ip4}, {"ip": ip6}],
            "startTime": started,
            "conditions": [
                {"type": t, "status": "True", "lastProbeTime": None,
                 "lastTransitionTime": started}
                for t in ("PodReadyToStartContainers", "Initialized",
                          "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [{
                "name": container, "image": image,
                "imageID": image + "@sha256:" + hashlib.sha256(
                    image.encode()).hexdigest(),
                "containerID": "containerd://" + hashlib.sha256(
                    ("%s/%s" % (p["ns"], p["name"])).encode()).hexdigest(),
                "ready": True, "started": True, "restartCount": 0,
                "state": {"running": {"startedAt": started}},
                "lastState": {}}]}
        items.append({"apiVersion": "v1", "kind": "Pod", "metadata": pmeta,
                      "spec": spec, "status": status})
        pod_rows.append("\t".join([
            p["ns"], p["name"], p["node"], ip4, ip6, netns, lxc,
            "1" if host else "0",
            ",".join("%s/%d" % (x["protocol"].lower(), x["port"])
                     for x in ports) or "-"]))

        if host:
            continue
        # CiliumEndpoint: status keys are kebab-case (kubernetes-api.md 4.6)
        idlabels = ["k8s:%s=%s" % kv for kv in sorted(labels.items())] + [
            "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/"
            "metadata.name=%s" % p["ns"],
            "k8s:io.cilium.k8s.policy.cluster=default",
            "k8s:io.cilium.k8s.policy.serviceaccount=default",
            "k8s:io.kubernetes.pod.namespace=%s" % p["ns"]]
        idlabels.sort()
        epid = 100 + len(pod_rows) * 17
        p["epid"] = epid
        p["identity"] = identity(p["ns"], labels)
        cep = {"apiVersion": "cilium.io/v2", "kind": "CiliumEndpoint",
               "metadata": meta("CiliumEndpoint", p["ns"], p["name"],
                                labels, {"ownerReferences": [{
                                    "apiVersion": "v1", "kind": "Pod",
                                    "name": p["name"],
                                    "uid": pmeta["uid"]}]}),
               "status": {
                   "id": epid,
                   "identity": {"id": p["identity"], "labels": idlabels},
                   "networking": {"addressing": [{"ipv4": ip4,
                                                  "ipv6": ip6}],
                                  "node": n["ip4"]},
                   "external-identifiers": {
                       "container-id": status["containerStatuses"][0][
                           "containerID"].split("//", 1)[1],
                       "k8s-namespace": p["ns"],
                       "k8s-pod-name": p["name"],
                       "pod-name": "%s/%s" % (p["ns"], p["name"]),
                       "cni-attachment-id": "%s:eth0" % status[
                           "containerStatuses"][0]["containerID"][
                               13:77]},
                   "state": "ready",
                   "encryption": {},
                   "policy": {"ingress": {"enforcing": False,
                                          "state": "<status disabled>"},
                              "egress": {"enforcing": False,
                                         "state": "<status disabled>"}}}}
        if ports:
            cep["status"]["named-ports"] = [
                {"name": x["name"], "port": x["port"],
                 "protocol": x["protocol"]} for x in ports]
        items.append(cep)

    pod_by = {(p["ns"], p["name"]): p for p in pods}
    # policy enforcement per endpoint, as the agent reports it
    for it in items:
        if it["kind"] != "CiliumEndpoint":
            continue
        ns = it["metadata"]["namespace"]
        name = it["metadata"]["name"]
        ing = ns == "demo" or it["metadata"]["labels"].get(
            "k8s-app") == "kube-dns"
        eg = (ns, name) == ("other", "client")
        pol = it["status"]["policy"]
        if ing:
            pol["ingress"] = {"enforcing": True, "state": "enforcing"}
        if eg:
            pol["egress"] = {"enforcing": True, "state": "enforcing"}

    for s in svcs:
        sel = labels_of(s["selector"])
        ports = []
        for x in s["ports"].split(","):
            name, port, rest = x.split(":")
            target, _, proto = rest.partition("/")
            ports.append({"name": name, "port": int(port),
                          "targetPort": int(target) if target.isdigit()
                          else target, "protocol": proto})
        s["ports_l"] = ports
        items.append({
            "apiVersion": "v1", "kind": "Service",
            "metadata": meta("Service", s["ns"], s["name"],
                             {"app.kubernetes.io/name": s["name"]}),
            "spec": {"type": "ClusterIP", "clusterIP": s["ip"],
                     "clusterIPs": [s["ip"]], "ipFamilies": ["IPv4"],
                     "ipFamilyPolicy": "SingleStack",
                     "internalTrafficPolicy": "Cluster",
                     "sessionAffinity": "None", "selector": sel,
                     "ports": ports},
            "status": {"loadBalancer": {}}})
        backends = [p for p in pods if p["ns"] == s["ns"] and all(
            labels_of(p["labels"]).get(k) == v for k, v in sel.items())]
        s["backends"] = backends
        eps = []
        for b in backends:
            eps.append({"addresses": [b["ip4"]],
                        "conditions": {"ready": True, "serving": True,
                                       "terminating": False},
                        "nodeName": b["node"],
                        "targetRef": {"kind": "Pod", "namespace": b["ns"],
                                      "name": b["name"],
                                      "uid": uid("Pod", b["ns"],
                                                 b["name"])}})
        esports = []
        for x in ports:
            tp = x["targetPort"]
            if isinstance(tp, str):
                for b in backends:
                    for bp in ports_of(b["ports"]):
                        if bp["name"] == tp:
                            tp = bp["port"]
            esports.append({"name": x["name"], "port": tp,
                            "protocol": x["protocol"]})
        s["esports"] = esports
        esname = "%s-%s" % (s["name"], hashlib.sha256(
            s["name"].encode()).hexdigest()[:5])
        items.append({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": meta("EndpointSlice", s["ns"], esname, {
                "kubernetes.io/service-name": s["name"],
                "endpointslice.kubernetes.io/managed-by":
                    "endpointslice-controller.k8s.io"},
                {"generateName": s["name"] + "-",
                 "ownerReferences": [{
                     "apiVersion": "v1", "kind": "Service",
                     "name": s["name"],
                     "uid": uid("Service", s["ns"], s["name"]),
                     "controller": True, "blockOwnerDeletion": True}]}),
            "addressType": "IPv4", "endpoints": eps, "ports": esports})

    with open(state + "/objects.json", "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List",
                   "resourceVersion": str(rv[0]),
                   "items": items}, f, indent=1, sort_keys=False)
        f.write("\n")
    with open(state + "/pods.tsv", "w") as f:
        f.write("\n".join(pod_rows) + "\n")
    with open(state + "/nodes.tsv", "w") as f:
        for n in nodes:
            f.write("\t".join([n["name"], n["netns"], n["ip4"], n["ip6"],
                               n["cidr4"], n["cidr6"], n["gw4"],
                               n["gw6"]]) + "\n")

    # --- the data path: nftables in each node namespace ---------------
    def match(spec):
        if spec == "*":
            return None
        ns, _, name = spec.partition("/")
        got = [p for p in pods if p["ns"] == ns and not p["host"] and
               (name == "*" or p["name"] == name)]
        if not got:
            die("rule names no pod: %s" % spec)
        return got

    nft = ["# generated by gen.py from topology; loaded into every node",
           "table inet cilkit {"]
    dnat = []
    for s in svcs:
        for x, ex in zip(s["ports_l"], s["esports"]):
            if s["backends"]:
                b = s["backends"][0]
                dnat.append("\t\tip daddr %s %s dport %d dnat ip to %s:%d" % (
                    s["ip"], x["protocol"].lower(), x["port"], b["ip4"],
                    ex["port"]))
    nft += ["\tchain services {",
            "\t\ttype nat hook prerouting priority dstnat; policy accept;"]
    nft += dnat
    nft += ["\t}", "\tchain netpol {",
            "\t\ttype filter hook forward priority filter; policy accept;",
            "\t\tct state established,related accept"]
    rule_rows = []
    for r in rules:
        src, dst = match(r["src"]), match(r["dst"])
        l4 = ""
        if r["l4"] != "any":
            proto, _, port = r["l4"].partition("/")
            l4 = " %s dport %s" % (proto, port)
        for fam, key in (("ip", "ip4"), ("ip6", "ip6")):
            m = ""
            if src:
                m += " %s saddr { %s }" % (fam, ", ".join(
                    p[key] for p in src))
            if dst:
                m += " %s daddr { %s }" % (fam, ", ".join(
                    p[key] for p in dst))
            m = m.strip()
            if r["verdict"] != "reject":
                nft.append("\t\t%s%s %s" % (m, l4, r["verdict"]))
            elif l4.startswith(" tcp"):
                nft.append("\t\t%s%s reject with tcp reset" % (m, l4))
            elif l4:
                nft.append("\t\t%s%s reject with icmpx port-unreachable"
                           % (m, l4))
            else:
                nft.append("\t\t%s meta l4proto tcp reject with tcp reset"
                           % m)
                nft.append("\t\t%s reject with icmpx port-unreachable" % m)
        rule_rows.append("\t".join([
            r["verdict"], r["src"], r["dst"], r["l4"], r["policy"]]))
    nft += ["\t}", "}"]
    with open(state + "/lab.nft", "w") as f:
        f.write("\n".join(nft) + "\n")
    with open(state + "/rules.tsv", "w") as f:
        f.write("\n".join(rule_rows) + "\n")


if __name__ == "__main__":
    main()
