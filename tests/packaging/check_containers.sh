#!/usr/bin/env bash
# check_containers.sh REPO_ROOT
# The shipped container configurations and the documented examples run
# containers with as little privilege as they need (issue 14, item 11):
#  - every ABOS container configuration (dist/container/abos/*.conf, and every
#    such block in the docs: a fenced block with set_image) drops all
#    capabilities (add_args --cap-drop=ALL, adding back only named ones) and
#    sets no-new-privileges;
#  - the broker socket directory /run/se05x is mounted read-only into every
#    client container: only the broker (the block that also passes the I2C
#    device) mounts it read-write. A client that can write there can rename its
#    own listener over se05xd.sock and receive every other client's APDUs.
# Mounts are checked in the confs, in fenced blocks and in inline examples of
# docs/*.md, dist/container/README.md and README.md (-v/--volume/add_volumes/
# Volume= whose target is /run/se05x).
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: check_containers.sh REPO_ROOT" >&2; exit 2; }
root="$1"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
python3 - "$root" <<'PY'
import glob, os, re, sys
root = sys.argv[1]
failures = 0
def fail(m):
    global failures
    failures += 1
    print("FAIL: " + m)
def ok(m): print("ok:   " + m)

# A mount of the socket directory: the target (after the first ':') is /run/se05x.
MOUNT = re.compile(r'(?:-v\s+|--volume[=\s]+|add_volumes\s+|Volume=)(\S+?):/run/se05x(:[A-Za-z,]+)?(?=[\s`"\')]|$)')
DEVICE = re.compile(r'^\s*(add_devices\s+/dev/i2c|add_args\s+--device[=\s]+/dev/i2c|AddDevice=/dev/i2c)|--device[=\s]+/dev/i2c')

def active(line):
    s = line.strip()
    return s and not s.startswith('#')

def check_block(name, lines, is_conf):
    """One container configuration (an ABOS conf file or a fenced block)."""
    act = [l for l in lines if active(l)]
    broker = any(DEVICE.search(l) for l in act)
    what = "broker" if broker else "client"
    if is_conf:
        if any(re.search(r'--cap-drop[= ]ALL\b', l) for l in act):
            ok(f"{name}: --cap-drop=ALL")
        else:
            fail(f"{name}: no active 'add_args --cap-drop=ALL'")
        if any('no-new-privileges' in l for l in act):
            ok(f"{name}: no-new-privileges")
        else:
            fail(f"{name}: no active '--security-opt=no-new-privileges'")
    for l in lines:
        for m in MOUNT.finditer(l):
            opts = (m.group(2) or '').lstrip(':').split(',')
            if 'ro' in opts:
                ok(f"{name}: {what} mounts /run/se05x read-only")
            elif broker and active(l):
                ok(f"{name}: broker mounts /run/se05x read-write (it creates the socket)")
            else:
                fail(f"{name}: {what} mounts the socket directory read-write: {l.strip()}")

# The shipped ABOS configurations.
confs = sorted(glob.glob(os.path.join(root, 'dist/container/abos/*.conf')))
if not confs:
    fail("no dist/container/abos/*.conf")
for c in confs:
    check_block(os.path.relpath(c, root), open(c).read().splitlines(), True)

# Documentation: fenced blocks are judged whole; everything else line by line.
docs = sorted(glob.glob(os.path.join(root, 'docs/*.md'))) + \
       [os.path.join(root, p) for p in ('README.md', 'dist/container/README.md')]
for d in docs:
    if not os.path.exists(d):
        continue
    rel = os.path.relpath(d, root)
    block, start, prose = None, 0, []
    for i, l in enumerate(open(d).read().splitlines(), 1):
        if l.lstrip().startswith('```'):
            if block is None:
                block, start = [], i
            else:
                is_conf = any(re.match(r'\s*set_image\s', x) for x in block)
                check_block(f"{rel}:{start}", block, is_conf)
                block = None
            continue
        if block is not None:
            block.append(l)
        else:
            prose.append((i, l))
    for i, l in prose:
        # Inline examples (`podman run ... -v /run/se05x:/run/se05x ...`) are client containers.
        for m in MOUNT.finditer(l):
            opts = (m.group(2) or '').lstrip(':').split(',')
            if 'ro' in opts:
                ok(f"{rel}:{i}: inline mount of /run/se05x read-only")
            else:
                fail(f"{rel}:{i}: inline example mounts /run/se05x read-write: {l.strip()}")

print()
if failures:
    print(f"check_containers: {failures} check(s) failed"); sys.exit(1)
print("check_containers: all checks passed")
PY
