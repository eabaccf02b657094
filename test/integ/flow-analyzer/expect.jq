# expect.jq - an independent jq model of flow-analyzer's aggregation
# over flow lines (jq -s), written from flow-analyzer(1): node naming,
# reply orientation, edges, verdicts, HTTP/DNS errors and exact latency
# lists.  flow-analyzer-hubble.sh compares its result with --export json.
def ns_prefix(ns): if (ns // "") != "" then ns + "/" else "" end;
def alpha: "[bcdfghjklmnpqrstvwxz2456789]";
def wl:
  if test("^.+-" + alpha + "{5}$") then
    sub("-" + alpha + "{5}$"; "")
    | if test("^.+-[0-9bcdfghjklmnpqrstvwxz]{6,10}$")
      then sub("-[0-9bcdfghjklmnpqrstvwxz]{6,10}$"; "") else . end
  elif test("^.+-[0-9]{1,5}$") then sub("-[0-9]{1,5}$"; "")
  else . end;
def rid: ["", "host", "world", "unmanaged", "health", "init", "remote-node",
  "kube-apiserver", "ingress", "world-ipv4", "world-ipv6"];
def reserved(ep):
  (ep.identity // 0) as $i
  | if $i >= 1 and $i <= 10 then rid[$i]
    else ((ep.labels // []) | map(select(startswith("reserved:")))
          | if length > 0 then .[0] | ltrimstr("reserved:") else null end)
    end;
def nodename(ep; svc; ip; names):
  if ((ep.workloads // []) | length) > 0 and (ep.workloads[0].name // "") != ""
  then ns_prefix(ep.namespace) + ep.workloads[0].name
  elif (ep.pod_name // "") != "" then ns_prefix(ep.namespace) + (ep.pod_name | wl)
  else reserved(ep) as $res
    | if $res != null and ($res | startswith("world"))
         and ((names // []) | length) > 0 and names[0] != "" then names[0]
      elif $res != null then $res
      elif (svc.name // "") != "" then ns_prefix(svc.namespace) + svc.name
      elif ((names // []) | length) > 0 and names[0] != "" then names[0]
      elif ((ep.labels // []) | map(select(startswith("fqdn:"))) | length) > 0
      then (ep.labels | map(select(startswith("fqdn:")))[0] | ltrimstr("fqdn:"))
      elif (ep.identity // 0) != 0 then "identity:\(ep.identity)"
      elif (ip // "") != "" then ip
      else "unknown" end
  end;
def proto: .l4 // {} | if .TCP then "TCP" elif .UDP then "UDP"
  elif .ICMPv4 then "ICMPv4" elif .ICMPv6 then "ICMPv6" elif .SCTP then "SCTP"
  else "-" end;
def lp: (.l4.TCP // .l4.UDP // .l4.SCTP // {});
def isreply:
  if .is_reply == true then true
  elif .is_reply == false then false
  elif .reply == true then true
  elif .l7 != null and .l7.type == "RESPONSE" then true
  elif (.l4.TCP.flags.SYN // false) and (.l4.TCP.flags.ACK // false) then true
  elif (.l4.TCP.flags.SYN // false) then false
  else lp as $p | (proto | test("^(TCP|UDP|SCTP)$"))
       and ($p.source_port // 0) != 0 and ($p.source_port // 0) < 32768
       and ($p.destination_port // 0) >= 32768
  end;
def oriented:
  . as $f | isreply as $r | lp as $p
  | (if (proto | test("^(TCP|UDP|SCTP)$")) then
       (if $r then $p.source_port else $p.destination_port end) // 0
     else 0 end) as $port
  | if $r then
      { a: nodename($f.destination; $f.destination_service; $f.IP.destination; $f.destination_names),
        b: nodename($f.source; $f.source_service; $f.IP.source; $f.source_names),
        bsvc: $f.source_service, port: $port }
    else
      { a: nodename($f.source; $f.source_service; $f.IP.source; $f.source_names),
        b: nodename($f.destination; $f.destination_service; $f.IP.destination; $f.destination_names),
        bsvc: $f.destination_service, port: $port }
    end
  | . + { key: "\(.a)|\(.b)|\($f | proto)|\(.port)",
          svc: (if (.bsvc.name // "") != "" then ns_prefix(.bsvc.namespace) + .bsvc.name
                else .b end) };
[ .[] | .flow // empty ] as $flows
| [ $flows[] | . as $f | oriented + { f: $f } ] as $o
| {
  flows: ($flows | length),
  verdicts: ($flows | group_by(.verdict // "VERDICT_UNKNOWN")
             | map({ key: (.[0].verdict // "VERDICT_UNKNOWN"), value: length })
             | from_entries),
  edges: ($o | group_by(.key) | map("\(.[0].key)|\(length)") | sort),
  dropped_edges: ($o | map(select(.f.verdict == "DROPPED")) | group_by(.key)
                  | map("\(.[0].key)|\(length)") | sort),
  http: ($o | map(select(.f.l7.type == "RESPONSE" and .f.l7.http != null))
         | { responses: length,
             x4: map(select(.f.l7.http.code >= 400 and .f.l7.http.code < 500)) | length,
             x5: map(select(.f.l7.http.code >= 500 and .f.l7.http.code < 600)) | length }),
  dns: ($flows | map(select(.l7.dns != null and (.l7.dns.query // "") != ""))
        | group_by(.l7.dns.query)
        | map({ query: .[0].l7.dns.query,
                queries: map(select(.l7.type == "REQUEST")) | length,
                responses: map(select(.l7.type == "RESPONSE")) | length,
                errors: map(select(.l7.type == "RESPONSE" and (.l7.dns.rcode // 0) != 0)) | length })),
  latency: ($o | map(select(.f.l7.type == "RESPONSE" and ((.f.l7.latency_ns // "0") | tonumber) > 0))
            | group_by(.svc)
            | map({ service: .[0].svc,
                    values: (map(.f.l7.latency_ns | tonumber) | sort) }))
}
