#!/usr/bin/env bash
# Drives real third-party PKCS#11 consumers against a module: provisions a Greengrass-style
# identity (private key + certificate, same CKA_LABEL and CKA_ID), starts a client-cert-only
# mosquitto on 127.0.0.1 and runs the checks. One PASS/FAIL line per check; exit 0 only if all pass.
#
#   run-consumer-tests.sh MODULE_PATH PROVISION_MODE [options]
#     MODULE_PATH     absolute path of the PKCS#11 module (/usr/lib/softhsm/libsofthsm2.so = oracle)
#     PROVISION_MODE  softhsm | keygen | existing   (see provision.sh)
#   options:
#     --keys LIST     ec,rsa (default) - one identity per key type
#     --checks LIST   java,awscrt,openssl,opensc (default; softhsm mode adds java-minmech);
#                     finer: java-tls13 java-tls12 awscrt-plain awscrt-preinit
#                     java-minmech: SoftHSM2 restricted to CKM_ECDSA/CKM_RSA_PKCS (SE050-like)
#     --work DIR      work directory (default: mktemp); kept on failure or with --keep
#     --build-dir DIR where javac puts classes (default: work dir)
#     --keep          keep the work directory
# Environment passed through to provision.sh / check-opensc.sh: P11_PIN P11_SO_PIN P11_LABEL P11_ID
#   P11_TOKEN_LABEL P11_SLOT P11_CA_DIR P11_OPENSC_SKIP P11_OPENSC_XFAIL.
# Exit codes: 0 all passed, 1 a check failed, 2 usage/provisioning error, 77 a tool is missing
# (CTest SKIP_RETURN_CODE).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

usage() { sed -n '2,22p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
module="$1"; mode="$2"; shift 2
keys="ec,rsa"; checks=""; work=""; build_dir=""; keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) keys="$2"; shift 2 ;;
    --checks) checks="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) usage ;;
  esac
done
case "$mode" in softhsm|keygen|existing) ;; *) usage ;; esac
if [ -z "$checks" ]; then
  checks="java,awscrt,openssl,opensc"; [ "$mode" = softhsm ] && checks="java,java-minmech,awscrt,openssl,opensc"
fi

# Missing tools = skip (77), not failure, so a machine without them still runs the rest.
need=(openssl pkcs11-tool mosquitto timeout)
[ "$mode" = softhsm ] && need+=(softhsm2-util)
[[ ",$checks," == *,java* ]] && need+=(java javac)
[[ ",$checks," == *,opensc,* ]] && need+=(p11tool p11-kit)
for t in "${need[@]}"; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed (see docs/p11-consumer-tests.md)"; exit 77; }
done
[ -f "$(p11_engines_dir)/pkcs11.so" ] || { echo "SKIP: libengine-pkcs11-openssl not installed"; exit 77; }
if [[ ",$checks," == *,awscrt* ]]; then
  "$P11_PYTHON" -c 'import awscrt.io, PyKCS11' 2>/dev/null || { echo "SKIP: python3-awscrt/python3-pykcs11 missing"; exit 77; }
fi
[ -f "$module" ] || { echo "module $module not found"; exit 2; }

if [ -z "$work" ]; then work="$(mktemp -d /tmp/sx-p11-consumers.XXXXXX)"; else mkdir -p "$work"; fi
work="$(cd "$work" && pwd)"
declare -a results=()
failed=0
start=$SECONDS

# What the caller set explicitly wins over the per-run defaults below.
user_xfail="${P11_OPENSC_XFAIL-__unset__}"
user_skip="${P11_OPENSC_SKIP-__unset__}"
record() {  # record NAME RC
  local line
  if [ "$2" -eq 0 ]; then line="PASS: $1"; else line="FAIL: $1 (exit $2)"; failed=1; fi
  results+=("$line"); echo "$line"
}

IFS=, read -r -a key_list <<<"$keys"
IFS=, read -r -a check_list <<<"$checks"
for key in "${key_list[@]}"; do
  kdir="$work/$key"
  echo "==== $key identity on $module ($mode)"
  # One token per key type with SoftHSM; on a real token both identities share it, so give
  # them distinct labels/IDs unless the caller chose them.
  label="${P11_LABEL:-greengrass-core}"; id="${P11_ID:-01}"
  if [ "$mode" != softhsm ] && [ "${#key_list[@]}" -gt 1 ]; then
    label="${P11_LABEL:-greengrass-core}-$key"
    [ -z "${P11_ID:-}" ] && { [ "$key" = ec ] && id=01 || id=02; }
  fi
  if ! P11_LABEL="$label" P11_ID="$id" p11_run 300 "$here/provision.sh" "$mode" "$module" "$kdir" "$key" >"$kdir.provision.log" 2>&1; then
    cat "$kdir.provision.log"; record "provision-$key" 1; continue
  fi
  record "provision-$key" 0
  env_file="$kdir/p11.env"
  [ -n "$build_dir" ] && printf 'P11_BUILD_DIR=%q\n' "$build_dir" >> "$env_file"

  # SoftHSM 2.6.1 oracle's own known failures (documented in docs/p11-consumer-tests.md).
  if [ "$user_xfail" != __unset__ ]; then
    export P11_OPENSC_XFAIL="$user_xfail"
  elif [ "$mode" = softhsm ]; then
    xf="test-fork test-threads test-ec"; [ "$key" = rsa ] && xf="$xf test"
    export P11_OPENSC_XFAIL="$xf"
  else
    unset P11_OPENSC_XFAIL
  fi

  # Sub-checks that don't depend on the identity's key type run with the first key type only.
  if [ "$user_skip" != __unset__ ]; then
    export P11_OPENSC_SKIP="$user_skip"
  elif [ "$key" != "${key_list[0]}" ]; then
    export P11_OPENSC_SKIP="test-fork test-threads keypairgen-ec keypairgen-rsa write-cert sign-ecdsa verify-ecdsa sign-rsa verify-rsa test-ec p11-kit-module"
  else
    unset P11_OPENSC_SKIP
  fi

  bdir="$kdir/broker"
  if ! port="$("$here/mosquitto-ctl.sh" start "$bdir" "${P11_CA_DIR:-$kdir/ca}")"; then
    record "broker-$key" 1; continue
  fi
  printf 'P11_BROKER_PORT=%q\nP11_BROKER_DIR=%q\n' "$port" "$bdir" >> "$env_file"

  for c in "${check_list[@]}"; do
    rc=0
    case "$c" in
      java)           p11_run 200 "$here/check-java.sh" "$env_file" both || rc=$? ;;
      java-tls13)     p11_run 120 "$here/check-java.sh" "$env_file" TLSv1.3 || rc=$? ;;
      java-tls12)     p11_run 120 "$here/check-java.sh" "$env_file" TLSv1.2 || rc=$? ;;
      java-minmech)   p11_run 200 "$here/check-java-minmech.sh" "$env_file" || rc=$? ;;
      awscrt)         p11_run 200 "$here/check-awscrt.sh" "$env_file" both || rc=$? ;;
      awscrt-plain)   p11_run 120 "$here/check-awscrt.sh" "$env_file" plain || rc=$? ;;
      awscrt-preinit) p11_run 120 "$here/check-awscrt.sh" "$env_file" preinit || rc=$? ;;
      openssl)        p11_run 120 "$here/check-openssl.sh" "$env_file" || rc=$? ;;
      opensc)         p11_run 300 "$here/check-opensc.sh" "$env_file" || rc=$? ;;
      *) echo "unknown check $c"; rc=2 ;;
    esac
    record "$c-$key" "$rc"
  done
  "$here/mosquitto-ctl.sh" stop "$bdir"
done

echo "==== summary ($((SECONDS - start)) s, module $module, mode $mode)"
printf '%s\n' "${results[@]}"
npass=0; nfail=0
for r in "${results[@]}"; do case "$r" in PASS:*) npass=$((npass + 1)) ;; *) nfail=$((nfail + 1)) ;; esac; done
echo "$npass passed, $nfail failed"
if [ "$failed" = 0 ] && [ "$keep" = 0 ]; then rm -rf "$work"; else echo "work directory kept: $work"; fi
exit "$failed"
