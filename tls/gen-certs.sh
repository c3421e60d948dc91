#!/usr/bin/env bash
# Generates the example PKI for rund: a self-signed root CA, a server certificate and a client
# certificate signed by it.
#
#   tls/gen-certs.sh [DIR]        (DIR defaults to the directory this script lives in)
#
# Writes DIR/ca.pem, ca-key.pem, server.pem, server-key.pem, client.pem, client-key.pem.
# All keys are EC P-521 (secp521r1) in unencrypted PKCS#8 PEM, mode 600; all signatures are
# ecdsa-with-SHA512; everything is valid for 10 years.
#
# The subjects carry O=rund example PKI (do not use in production): the copies checked into the
# repository are public, so anyone holding them can act as the server or as a client. rund warns
# when it is started with certificates carrying that marker. Rerun this script to get keys of your
# own (they still carry the marker: for production, issue certificates from your own CA).
#
# git records no file modes but the executable bit: a fresh clone gets the key files with the
# umask's mode (often 644), and rund refuses keys readable by group or others. After cloning, run
#   chmod 600 tls/*-key.pem
set -euo pipefail

readonly MARKER="rund example PKI (do not use in production)"
readonly DAYS=3650
readonly CURVE=P-521
readonly DIGEST=-sha512

out="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
command -v openssl >/dev/null || { echo "gen-certs.sh: openssl not found on PATH" >&2; exit 1; }
mkdir -p "$out"

# Build everything in a private scratch directory first, so a failure half-way never leaves a
# mismatched set (a new CA beside old leaves) in the target directory.
umask 077
work="$(mktemp -d "${out%/}/.gen-certs.XXXXXX")"
trap 'rm -rf "$work"' EXIT

quiet() { # run a command, showing its stderr only if it fails (openssl chats on success)
  "$@" 2>"$work/stderr" || { cat "$work/stderr" >&2; return 1; }
}

genkey() { # PKCS#8 PEM, unencrypted: the daemon reads it without a passphrase prompt.
  openssl genpkey -quiet -algorithm EC -pkeyopt "ec_paramgen_curve:$CURVE" \
    -pkeyopt ec_param_enc:named_curve -out "$1"
}

# Extensions for each certificate. openssl x509 -req does not copy extensions from the request, so
# every extension a certificate carries is listed here and nowhere else.
cat >"$work/ext.cnf" <<'EOF'
[req]
distinguished_name     = dn
prompt                 = no
[dn]

[ca]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[server]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[client]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectAltName         = DNS:client.rund.example
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF

# Root CA: self-signed. pathlen:0 because it only ever signs leaves.
genkey "$work/ca-key.pem"
openssl req -new -x509 $DIGEST -days "$DAYS" -key "$work/ca-key.pem" \
  -config "$work/ext.cnf" -extensions ca -subj "/O=$MARKER/CN=rund example root CA" \
  -out "$work/ca.pem"

leaf() { # name CN extension-section
  local name="$1" cn="$2" section="$3"
  genkey "$work/$name-key.pem"
  openssl req -new $DIGEST -key "$work/$name-key.pem" -subj "/O=$MARKER/CN=$cn" \
    -config "$work/ext.cnf" -out "$work/$name.csr"
  # No -CAserial file: openssl 3 then picks a random serial number.
  quiet openssl x509 -req $DIGEST -days "$DAYS" -in "$work/$name.csr" \
    -CA "$work/ca.pem" -CAkey "$work/ca-key.pem" \
    -extfile "$work/ext.cnf" -extensions "$section" \
    -out "$work/$name.pem"
}
leaf server localhost server
leaf client client.rund.example client

# Refuse to install a set that does not verify as the daemon will use it.
openssl verify -x509_strict -purpose sslserver -CAfile "$work/ca.pem" "$work/server.pem" >/dev/null
openssl verify -x509_strict -purpose sslclient -CAfile "$work/ca.pem" "$work/client.pem" >/dev/null

for f in ca server client; do
  install -m 644 "$work/$f.pem" "$out/$f.pem"
  install -m 600 "$work/$f-key.pem" "$out/$f-key.pem"
done

echo "Generated in $out (keys EC $CURVE, signatures ecdsa-with-SHA512, valid $DAYS days):"
for f in ca server client; do
  subject="$(openssl x509 -in "$out/$f.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
  expires="$(openssl x509 -in "$out/$f.pem" -noout -enddate | sed 's/^notAfter=//')"
  sans="$(openssl x509 -in "$out/$f.pem" -noout -ext subjectAltName 2>/dev/null |
    sed -n '2,$p' | tr -d ' ' | sed 's/IPAddress:/IP:/g')"
  printf '  %-15s %s\n' "$f.pem" "$subject"
  if [ -n "$sans" ]; then printf '  %-15s SAN %s\n' "" "$sans"; fi
  printf '  %-15s expires %s\n' "" "$expires"
  printf '  %-15s mode 600\n' "$f-key.pem"
done
echo "These are example certificates: anyone with this repository holds their keys."
