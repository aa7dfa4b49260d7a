# Which of the expected BGP sessions are Established: `show bgp vrf default summary json` on
# stdin, the session keys (interface names, addresses) as arguments, one Established key per
# line out. Not run from here: render/apply-script.ts inlines it, between single quotes, in the
# safe-apply script's established() (render/scripts/apply.sh), without these first comment
# lines; it must hold no single quote.
import json, sys
try:
    data = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
up = set()
for af in (data.values() if isinstance(data, dict) else []):
    if isinstance(af, dict):
        for key, peer in (af.get("peers") or {}).items():
            if isinstance(peer, dict) and peer.get("state") == "Established":
                up.add(key)
for key in sys.argv[1:]:
    if key in up:
        print(key)
