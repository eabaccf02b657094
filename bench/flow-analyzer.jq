# flow-analyzer.jq - the benchmark's jq reference: the aggregation of
# `flow-analyzer --json` as one streaming reduce (jq -n, memory grows
# with edges and names, plus the latency lists): node naming, reply
# orientation, edges with verdict counts, first/last, L7 requests,
# HTTP 4xx/5xx, drop reasons, resets, DNS errors per query, top
# talkers/destinations/ports, mixes, flows per second, per-node counts,
# exact latency percentiles per service.
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
def bump(p): p |= ((. // 0) + 1);
reduce (inputs | select(.flow) | . as $rec | .flow | . as $f
        | isreply as $r | lp as $p | proto as $proto
        | (if ($proto | test("^(TCP|UDP|SCTP)$")) then
             (if $r then $p.source_port else $p.destination_port end) // 0
           else 0 end) as $port
        | nodename($f.source; $f.source_service; $f.IP.source; $f.source_names) as $s
        | nodename($f.destination; $f.destination_service; $f.IP.destination; $f.destination_names) as $d
        | (if $r then [$d, $s] else [$s, $d] end) as [$a, $b]
        | (if $r then $f.source_service else $f.destination_service end) as $bsvc
        | { f: $f, node: ($rec.node_name // $f.node_name // ""), a: $a, b: $b,
            key: "\($a)|\($b)|\($proto)|\($port)", proto: $proto, port: $port,
            svc: (if ($bsvc.name // "") != "" then ns_prefix($bsvc.namespace) + $bsvc.name else $b end) })
  as $x ({flows: 0, edges: {}, verdicts: {}, protocols: {}, direction: {},
          sent: {}, recv: {}, ports: {}, nodes: {}, series: {}, dns: {}, lat: {}};
    ($x.f.verdict // "VERDICT_UNKNOWN") as $v
    | ($x.f.time // "") as $t
    | .flows += 1
    | bump(.verdicts[$v]) | bump(.protocols[$x.proto])
    | bump(.direction[$x.f.traffic_direction // "unknown"])
    | bump(.sent[$x.a]) | bump(.recv[$x.b]) | bump(.nodes[$x.node])
    | bump(.series[$t[0:19]])
    | (if $x.port != 0 then bump(.ports["\($x.proto)/\($x.port)"]) else . end)
    | .edges[$x.key] |= (. // {flows: 0, verdicts: {}, first: $t, last: $t,
                                l7_req: 0, x4: 0, x5: 0, rst: 0, reasons: {}})
    | .edges[$x.key] |= (.flows += 1 | bump(.verdicts[$v])
        | .first = ([.first, $t] | min) | .last = ([.last, $t] | max)
        | (if $v == "DROPPED" then bump(.reasons["\($x.f.drop_reason_desc // 0)"]) else . end)
        | (if $x.f.l4.TCP.flags.RST then .rst += 1 else . end)
        | (if $x.f.l7.type == "REQUEST" then .l7_req += 1 else . end)
        | (if $x.f.l7.type == "RESPONSE" and $x.f.l7.http then
             ($x.f.l7.http.code // 0) as $c
             | (if $c >= 400 and $c < 500 then .x4 += 1
                elif $c >= 500 and $c < 600 then .x5 += 1 else . end)
           else . end))
    | (if $x.f.l7.dns and ($x.f.l7.dns.query // "") != "" then
         .dns[$x.f.l7.dns.query] |= ((. // {q: 0, r: 0, e: 0})
           | if $x.f.l7.type == "REQUEST" then .q += 1
             elif $x.f.l7.type == "RESPONSE" then .r += 1
               | (if ($x.f.l7.dns.rcode // 0) != 0 then .e += 1 else . end)
             else . end)
       else . end)
    | (if $x.f.l7.type == "RESPONSE" and (($x.f.l7.latency_ns // "0") | tonumber) > 0
       then .lat[$x.svc] += [$x.f.l7.latency_ns | tonumber] else . end))
| .lat |= with_entries(.value |= (sort | [length, .[((length - 1) * 0.5 | floor)],
      .[((length - 1) * 0.9 | floor)], .[((length - 1) * 0.99 | floor)], .[-1]]))
| .edge_count = (.edges | length)
| .top_talkers = (.sent | to_entries | sort_by(-.value) | .[:20])
| .top_destinations = (.recv | to_entries | sort_by(-.value) | .[:20])
| .top_ports = (.ports | to_entries | sort_by(-.value) | .[:20])
| del(.sent, .recv, .ports)
