# The route checks of the safe-apply script (render/route-checks.ts says what they are):
# `show bgp vrf default ipv4 unicast json` on stdin. Not run from here: render/apply-script.ts
# inlines it, between single quotes, in render/scripts/apply.sh, without these first comment
# lines; it must hold no single quote.
#   snapshot RANGE...                       the table within the ranges, as
#                                           {prefix: [AS path of each valid path]}
#   check BEFORE SUMMARY LOOPBACKS FROM RANGE...
#       print what is missing, one line each. BEFORE: a snapshot file; SUMMARY: a
#       `show bgp vrf default summary json` file; LOOPBACKS: the switches' loopback
#       range; FROM: the fabric session keys (comma-separated) that must each send a
#       loopback they originate while Established
import ipaddress, json, sys
def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}
def inside(prefix, ranges):
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False
    return any(net.version == r.version and net.subnet_of(r) for r in ranges)
def table(data, ranges):
    out = {}
    routes = data.get("routes") if isinstance(data, dict) else None
    for prefix, entries in (routes or {}).items():
        if not inside(prefix, ranges):
            continue
        out[prefix] = [str(e.get("path") or "") for e in (entries if isinstance(entries, list) else []) if isinstance(e, dict) and e.get("valid")]
    return out
try:
    data = json.load(sys.stdin)
except ValueError:
    data = {}
mode = sys.argv[1]
if mode == "snapshot":
    print(json.dumps(table(data, [ipaddress.ip_network(r) for r in sys.argv[2:]])))
    sys.exit(0)
before, summary = load(sys.argv[2]), load(sys.argv[3])
loopbacks = [ipaddress.ip_network(sys.argv[4])]
ranges = [ipaddress.ip_network(r) for r in sys.argv[6:]]
now = table(data, ranges + loopbacks)
peers = {}
for af in summary.values() if isinstance(summary, dict) else []:
    if isinstance(af, dict):
        peers.update(af.get("peers") or {})
originated = set(p for prefix, ps in now.items() if inside(prefix, loopbacks) for p in ps)
for key in [k for k in sys.argv[5].split(",") if k]:
    peer = peers.get(key) or {}
    if peer.get("state") != "Established":
        continue
    asn = str(peer.get("remoteAs", ""))
    if asn not in originated:
        print("no loopback originated by %s (AS %s)" % (key, asn))
for prefix in sorted(before):
    if len(now.get(prefix, [])) < len(before[prefix]):
        print("%s: %d of %d paths" % (prefix, len(now.get(prefix, [])), len(before[prefix])))
