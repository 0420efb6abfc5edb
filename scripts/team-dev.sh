#!/usr/bin/env bash
# Starts a local team store to try team mode by hand: a PostgreSQL cluster in a temporary folder,
# TLS on with a CA made now, on 127.0.0.1; prints what to put in the administrators' policy file
# and the commands to set the store up. Stop it with the command it prints. Needs `make setup`
# (PostgreSQL) and `cargo build -p c2p`.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
# Yours: the CA and the owner's password (c2p trusts a CA file only when it is the
# administrators' alone, and reads a password file only when it is yours alone).
dir=$(mktemp -d /tmp/c2p-team.XXXXXX)
chmod 755 "$dir"
# The cluster's: PostgreSQL refuses to run as root, so as root it runs as `postgres`.
pg="$dir/pg"
mkdir -m 700 "$pg"
port=${PORT:-55432}
as_postgres=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$pg"
  as_postgres=(runuser -u postgres --)
fi

owner_pw=$(openssl rand -hex 16)
install -m 600 /dev/null "$dir/owner-pw"
printf '%s\n' "$owner_pw" > "$dir/owner-pw"
install -m 600 "$dir/owner-pw" "$pg/initdb-pw"
[ "$(id -u)" -ne 0 ] || chown postgres "$pg/initdb-pw"
"${as_postgres[@]}" "$bin/initdb" -D "$pg/data" -A scram-sha-256 -U c2p_owner \
  --pwfile="$pg/initdb-pw" >/dev/null
rm "$pg/initdb-pw"

# A CA and the server's certificate for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/CN=c2p team dev CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
chmod 600 "$dir/ca.key"
chmod 644 "$dir/ca.pem"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$pg/data/server.key" -out "$dir/server.csr" 2>/dev/null
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -days 30 \
  -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost') -out "$pg/data/server.crt" 2>/dev/null
chmod 600 "$pg/data/server.key"
[ "$(id -u)" -ne 0 ] || chown postgres "$pg/data/server.key" "$pg/data/server.crt"
printf 'local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n' > "$pg/data/pg_hba.conf"
[ "$(id -u)" -ne 0 ] || chown postgres "$pg/data/pg_hba.conf"

start=("${as_postgres[@]}" "$bin/pg_ctl" -D "$pg/data" -l "$pg/log" -w
  -o "-k $pg -p $port -c listen_addresses=127.0.0.1 -c ssl=on" start)
"${start[@]}" >/dev/null
PGPASSWORD=$owner_pw "$bin/psql" -h "$pg" -p "$port" -U c2p_owner -d postgres -q \
  -c 'CREATE DATABASE c2p' >/dev/null

cat <<MSG
team store running in $pg on 127.0.0.1:$port (database c2p, owner c2p_owner, password in $dir/owner-pw)

1. Put this beside "operators" in the administrators' policy file (/etc/c2p-care/policy.json):
   "team": {"host": "127.0.0.1", "port": $port, "database": "c2p", "caFile": "$dir/ca.pem"}
2. As an administrator:
   c2p team init --owner c2p_owner --owner-password-file $dir/owner-pw
   install -m 600 /dev/null pw; printf 'choose-a-password\n' > pw   # password files: this account's alone
   c2p team add-login $(id -un | tr -c 'a-z0-9_\n' _) --operator YOUR-ID --password-file pw --owner c2p_owner --owner-password-file $dir/owner-pw
3. As the operator: c2p team import-credentials --login LOGIN --password-file pw; c2p team forward
   (team mode applies to a configured environment, e.g. \`d1-sandbox serve\` added with \`c2p env add\`)

Stop it:  ${as_postgres[*]} $bin/pg_ctl -D $pg/data stop -m fast && rm -rf $dir
Start it again after a stop (without rm):  $(printf "%q " "${start[@]}")
MSG
