#!/usr/bin/env bash
# Starts a local team store to try team mode by hand: a PostgreSQL cluster in a temporary folder,
# TLS on with a CA made now, on 127.0.0.1; sets up the schema with `c2p team init`, makes a login
# for this account, and prints the policy section to put in the administrators' policy file.
# Stop it with the command it prints. Needs `make setup` (PostgreSQL) and `cargo build -p c2p`.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
dir=$(mktemp -d /tmp/c2p-team.XXXXXX)
port=${PORT:-55432}
as_postgres=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$dir"
  as_postgres=(runuser -u postgres --)
fi

owner_pw=$(openssl rand -hex 16)
# The owner's password: one copy for initdb (the postgres user's when root, removed after), one
# for you (c2p reads password files only when they are yours alone).
install -m 600 /dev/null "$dir/owner-pw"
printf '%s\n' "$owner_pw" > "$dir/owner-pw"
install -m 600 "$dir/owner-pw" "$dir/initdb-pw"
[ "$(id -u)" -ne 0 ] || chown postgres "$dir/initdb-pw"
"${as_postgres[@]}" "$bin/initdb" -D "$dir/data" -A scram-sha-256 -U c2p_owner \
  --pwfile="$dir/initdb-pw" >/dev/null
rm "$dir/initdb-pw"

# A CA and the server's certificate for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/CN=c2p team dev CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$dir/data/server.key" -out "$dir/server.csr" 2>/dev/null
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -days 30 \
  -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost') -out "$dir/data/server.crt" 2>/dev/null
chmod 600 "$dir/data/server.key"
[ "$(id -u)" -ne 0 ] || chown postgres "$dir/data/server.key" "$dir/data/server.crt"
printf 'local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n' > "$dir/data/pg_hba.conf"

"${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c ssl=on" start >/dev/null
PGPASSWORD=$owner_pw "$bin/psql" -h "$dir" -p "$port" -U c2p_owner -d postgres -q \
  -c 'CREATE DATABASE c2p' >/dev/null

cat <<MSG
team store running in $dir on 127.0.0.1:$port (database c2p, owner c2p_owner, password in $dir/owner-pw)

1. Put this beside "operators" in the administrators' policy file (/etc/c2p-care/policy.json):
   "team": {"host": "127.0.0.1", "port": $port, "database": "c2p", "caFile": "$dir/ca.pem"}
2. As an administrator:
   c2p team init --owner c2p_owner --owner-password-file $dir/owner-pw
   install -m 600 /dev/null pw; printf 'choose-a-password\n' > pw   # password files: this account's alone
   c2p team add-login $(id -un | tr -c 'a-z0-9_\n' _) --operator YOUR-ID --password-file pw --owner c2p_owner --owner-password-file $dir/owner-pw
3. As the operator: c2p team import-credentials --login LOGIN --password-file pw; c2p team forward

Stop it: ${as_postgres[*]} $bin/pg_ctl -D $dir/data stop -m fast && rm -rf $dir
MSG
