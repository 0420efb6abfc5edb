-- C2P Care team store, version 1: the team's audit trail.
-- Run by `c2p team init` as the database owner, in one transaction; idempotent.
-- Operator logins (members of c2p_operator) may only call c2p.ingest and read what their role
-- allows through the parent tables; they own nothing and can change nothing.

CREATE SCHEMA IF NOT EXISTS c2p;
REVOKE ALL ON SCHEMA c2p FROM PUBLIC;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'c2p_operator') THEN
    CREATE ROLE c2p_operator NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'c2p_auditor') THEN
    CREATE ROLE c2p_auditor NOLOGIN IN ROLE c2p_operator;
  END IF;
END
$$;

-- Each database login is one operator: the centre knows who sent a record, not only from where.
CREATE TABLE IF NOT EXISTS c2p.logins (
  login name PRIMARY KEY,
  operator text NOT NULL,
  revoked_at timestamptz
);

-- One local chain: made when a workstation account's audit log starts.
CREATE TABLE IF NOT EXISTS c2p.chains (
  chain_id text PRIMARY KEY,
  workstation text NOT NULL,
  account text NOT NULL,
  operator text NOT NULL,
  first_received timestamptz NOT NULL DEFAULT now(),
  last_seq bigint NOT NULL,
  last_hash text NOT NULL,
  -- A record of the chain named the login's operator: from then on every record must.
  named boolean NOT NULL DEFAULT false,
  -- The chain began before chains had ids (its first record is not `audit_chain_start`): its
  -- records until `audit_chain_id` may hold a card number, sent redacted.
  legacy boolean NOT NULL DEFAULT false,
  -- Where its `audit_chain_id` record is.
  id_seq bigint
);

-- Every record of every chain, as the workstation wrote it, with the centre's receive time.
CREATE TABLE IF NOT EXISTS c2p.records (
  chain_id text NOT NULL,
  seq bigint NOT NULL,
  time text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  clock_off boolean NOT NULL,
  login name NOT NULL,
  operator text NOT NULL,
  role text,
  workstation text NOT NULL,
  event text NOT NULL,
  resource text,
  result text NOT NULL,
  operation_id text,
  correlation_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  version integer NOT NULL,
  -- A field held a card number and came redacted: the hash covers the original.
  redacted boolean NOT NULL DEFAULT false
) PARTITION BY RANGE (received_at);

CREATE INDEX IF NOT EXISTS records_chain_seq ON c2p.records (chain_id, seq);
CREATE INDEX IF NOT EXISTS records_received ON c2p.records (received_at);

-- What the auditors must see: forks, restarts, records refused, clocks far off.
CREATE TABLE IF NOT EXISTS c2p.alerts (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL,
  login name NOT NULL,
  chain_id text,
  seq bigint,
  detail text NOT NULL
);

-- Nothing in the trail is ever changed or removed: privileges are never granted, and these
-- triggers stop even the owner by mistake (retention detaches whole partitions instead).
CREATE OR REPLACE FUNCTION c2p.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

-- A month's partition, with the same guards (a statement trigger on the parent does not cover
-- TRUNCATE of a partition named directly).
CREATE OR REPLACE FUNCTION c2p.month_partition(month date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  name text := format('records_%s', to_char(month, 'YYYY_MM'));
BEGIN
  IF to_regclass(format('c2p.%I', name)) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE c2p.%I PARTITION OF c2p.records FOR VALUES FROM (%L) TO (%L)',
      name, month, (month + interval '1 month')::date);
    EXECUTE format('REVOKE ALL ON c2p.%I FROM PUBLIC', name);
    EXECUTE format(
      'CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON c2p.%I FOR EACH STATEMENT EXECUTE FUNCTION c2p.refuse_change()',
      name);
  END IF;
END
$$;

-- Makes `tbl` append-only (once).
CREATE OR REPLACE FUNCTION c2p.append_only(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'refuse_update_delete' AND tgrelid = tbl) THEN
    EXECUTE format('CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON %s
                    FOR EACH ROW EXECUTE FUNCTION c2p.refuse_change()', tbl);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'refuse_truncate' AND tgrelid = tbl) THEN
    EXECUTE format('CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION c2p.refuse_change()', tbl);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION c2p.append_only FROM PUBLIC;
SELECT c2p.append_only('c2p.records');
SELECT c2p.append_only('c2p.alerts');

-- This month and the next twelve; ingest makes a missing one on the way.
SELECT c2p.month_partition((date_trunc('month', now()) + make_interval(months => m))::date)
FROM generate_series(0, 12) AS m;

-- A record's hash, as the workstation computes it (care::audit_log::chain): SHA-256 over each
-- field length-prefixed (8 bytes, big-endian; all ones for a missing field); version 2 adds the
-- version and the role. NULL for a version the centre does not know.
CREATE OR REPLACE FUNCTION c2p.field(value text) RETURNS bytea
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN value IS NULL THEN '\xffffffffffffffff'::bytea
              ELSE int8send(octet_length(convert_to(value, 'UTF8'))::bigint) || convert_to(value, 'UTF8')
         END
$$;

CREATE OR REPLACE FUNCTION c2p.record_hash(
  p_version integer, p_prev_hash text, p_seq bigint, p_time text, p_operator text,
  p_workstation text, p_event text, p_resource text, p_result text, p_operation_id text,
  p_correlation_id text, p_role text
) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, c2p, pg_temp AS $$
  SELECT CASE
    WHEN p_version = 1 AND p_role IS NULL OR p_version = 2 THEN
      encode(sha256(
        c2p.field(p_prev_hash) || c2p.field(p_seq::text) || c2p.field(p_time)
        || c2p.field(p_operator) || c2p.field(p_workstation) || c2p.field(p_event)
        || c2p.field(p_resource) || c2p.field(p_result) || c2p.field(p_operation_id)
        || c2p.field(p_correlation_id)
        || CASE WHEN p_version = 2 THEN c2p.field('2') || c2p.field(p_role) ELSE ''::bytea END
      ), 'hex')
  END
$$;

-- An alert for the auditors, once: the same alert of the same login on the same record is not
-- raised again within the hour (a workstation retrying a refused record raises one), and a
-- login raises at most 100 an hour (the hundredth says so).
CREATE OR REPLACE FUNCTION c2p.raise_alert(p_kind text, p_chain text, p_seq bigint, p_detail text)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  recent bigint;
BEGIN
  IF EXISTS (SELECT 1 FROM c2p.alerts
             WHERE kind = p_kind AND login = session_user AND chain_id IS NOT DISTINCT FROM p_chain
               AND seq IS NOT DISTINCT FROM p_seq AND at > now() - interval '1 hour') THEN
    RETURN;
  END IF;
  SELECT count(*) INTO recent FROM c2p.alerts
    WHERE login = session_user AND at > now() - interval '1 hour';
  IF recent >= 100 THEN
    RETURN;
  ELSIF recent = 99 THEN
    INSERT INTO c2p.alerts (kind, login, chain_id, seq, detail)
      VALUES ('flood', session_user, p_chain, p_seq,
              'this login raised 100 alerts within an hour: more are not recorded until it stops');
  ELSE
    INSERT INTO c2p.alerts (kind, login, chain_id, seq, detail)
      VALUES (p_kind, session_user, left(p_chain, 64), p_seq, p_detail);
  END IF;
END
$$;
CREATE INDEX IF NOT EXISTS alerts_chain ON c2p.alerts (chain_id, kind, seq);
CREATE INDEX IF NOT EXISTS alerts_login ON c2p.alerts (login, at);

-- Whether `value` holds a card number: 13 to 19 digits, single spaces or dashes between them,
-- standing apart (not inside a longer word or id, such as a hash's hex digits), that pass the
-- Luhn check. The console redacts the same numbers (care::privacy::redact_card_numbers).
CREATE OR REPLACE FUNCTION c2p.holds_pan(value text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  run text;
  digits text;
  sum int;
  d int;
  i int;
BEGIN
  IF value IS NULL OR value !~ '[0-9]{4}' THEN
    RETURN false;
  END IF;
  FOR run IN SELECT m[1] FROM regexp_matches(
      -- Each whole run: nothing alphanumeric, nor more of the run, either side of it.
      value, '(?<![0-9A-Za-z])(?<![0-9][ -])([0-9](?:[ -]?[0-9])*)(?![0-9A-Za-z])(?![ -][0-9])',
      'g') AS m LOOP
    digits := regexp_replace(run, '[^0-9]', '', 'g');
    CONTINUE WHEN length(digits) NOT BETWEEN 13 AND 19;
    sum := 0;
    FOR i IN 1..length(digits) LOOP
      d := substr(digits, length(digits) - i + 1, 1)::int;
      IF i % 2 = 0 THEN
        d := d * 2;
        IF d > 9 THEN d := d - 9; END IF;
      END IF;
      sum := sum + d;
    END LOOP;
    IF sum % 10 = 0 THEN
      RETURN true;
    END IF;
  END LOOP;
  RETURN false;
END
$$;

-- One record in. Idempotent on (chain, seq); a record is accepted only when its prev_hash is
-- the stored hash of its chain's previous record. Answers one word:
--   stored | duplicate | fork | gap | operator | not_yours | bad_hash | revoked | unknown_login
--   | malformed | card_number
-- (a redacted record is stored with a `redacted` alert)
-- and records an alert for every refusal (a raised error would roll the alert back).
-- `p_sent_at` is the workstation's clock when it sent the record: more than 5 minutes from the
-- centre's is flagged (a record written offline and sent later is not).
CREATE OR REPLACE FUNCTION c2p.ingest_one(
  p_chain text, p_seq bigint, p_time text, p_operator text, p_role text, p_workstation text,
  p_account text, p_event text, p_resource text, p_result text, p_operation_id text,
  p_correlation_id text, p_prev_hash text, p_hash text, p_version integer, p_redacted boolean,
  p_sent_at text
) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  me c2p.logins%ROWTYPE;
  chain c2p.chains%ROWTYPE;
  stored_hash text;
  skew boolean;
  fields text[] := ARRAY[p_time, p_operator, p_role, p_workstation, p_account, p_event,
                         p_resource, p_result, p_operation_id, p_correlation_id];
BEGIN
  SELECT * INTO me FROM c2p.logins WHERE login = session_user;
  IF NOT FOUND THEN
    PERFORM c2p.raise_alert('unknown_login', p_chain, p_seq,
        'a login bound to no operator sent a record');
    RETURN 'unknown_login';
  END IF;
  IF me.revoked_at IS NOT NULL THEN
    PERFORM c2p.raise_alert('revoked', p_chain, p_seq,
        'a revoked login sent a record');
    RETURN 'revoked';
  END IF;
  -- A chain's id is what a workstation makes (128 random bits); no field is longer than 8 KiB.
  IF p_chain IS NULL OR p_chain !~ '^chain-[0-9a-f]{32}$'
     OR EXISTS (SELECT 1 FROM unnest(fields) AS f WHERE length(f) > 8192) THEN
    PERFORM c2p.raise_alert('malformed', NULL, p_seq,
        'a record with an invalid chain id or a field too long was refused');
    RETURN 'malformed';
  END IF;
  -- No card number ever enters the store (the detail does not repeat it). D1's operationId and
  -- the correlation id are ids the systems make, not checked.
  IF EXISTS (SELECT 1 FROM unnest(fields[1:8]) AS f WHERE c2p.holds_pan(f)) THEN
    PERFORM c2p.raise_alert('card_number', p_chain, p_seq,
        format('record %s of chain %s holds a card number: refused, kept only in the workstation''s own log',
               p_seq, p_chain));
    RETURN 'card_number';
  END IF;

  -- The chain, locked for this record (a new chain's row is made by its first record).
  SELECT * INTO chain FROM c2p.chains WHERE chain_id = p_chain FOR UPDATE;
  IF NOT FOUND AND p_seq = 1 THEN
    -- A new chain from a workstation account that had one: the local log began again.
    IF EXISTS (SELECT 1 FROM c2p.chains WHERE workstation = p_workstation AND account = p_account) THEN
      PERFORM c2p.raise_alert('restart', p_chain, p_seq,
          format('a new audit chain began on %s for account %s', p_workstation, p_account));
    END IF;
    -- The chain is the login's operator's, whoever its first record names.
    INSERT INTO c2p.chains (chain_id, workstation, account, operator, last_seq, last_hash, legacy)
      VALUES (p_chain, p_workstation, p_account, me.operator, 0, '', p_event <> 'audit_chain_start')
      ON CONFLICT (chain_id) DO NOTHING;
    SELECT * INTO chain FROM c2p.chains WHERE chain_id = p_chain FOR UPDATE;
  END IF;
  IF NOT FOUND THEN
    PERFORM c2p.raise_alert('gap', p_chain, p_seq,
        format('record %s of chain %s does not follow the last the centre holds (0)', p_seq, p_chain));
    RETURN 'gap';
  END IF;
  IF chain.operator IS DISTINCT FROM me.operator THEN
    PERFORM c2p.raise_alert('not_yours', p_chain, p_seq,
        format('chain %s is %s''s; this login is %s''s', p_chain, chain.operator, me.operator));
    RETURN 'not_yours';
  END IF;
  -- A record names the login's operator or, written before the policy named anyone (before any
  -- record of the chain named the operator), the chain's own OS account, which no login's
  -- operator id may be.
  IF p_operator IS DISTINCT FROM me.operator
     AND (chain.named OR p_operator IS DISTINCT FROM chain.account
          OR EXISTS (SELECT 1 FROM c2p.logins WHERE operator = p_operator)) THEN
    PERFORM c2p.raise_alert('operator', p_chain, p_seq,
        format('the record names operator %s; this login is %s''s', p_operator, me.operator));
    RETURN 'operator';
  END IF;

  -- The record's fields must be what its hash covers: a hash copied onto other content is
  -- refused. Only a record of a chain older than ids, before its id, may come redacted (a card
  -- number written before ids were checked, replaced by [pan]); it cannot be checked and is
  -- listed for the auditors instead.
  IF p_redacted AND NOT (chain.legacy AND chain.id_seq IS NULL
                         AND EXISTS (SELECT 1 FROM unnest(fields) AS f WHERE strpos(f, '[pan]') > 0)) THEN
    PERFORM c2p.raise_alert('bad_hash', p_chain, p_seq,
        format('record %s of chain %s came marked redacted where no record may be', p_seq, p_chain));
    RETURN 'bad_hash';
  END IF;
  IF NOT p_redacted AND c2p.record_hash(p_version, p_prev_hash, p_seq, p_time, p_operator, p_workstation, p_event,
                     p_resource, p_result, p_operation_id, p_correlation_id, p_role)
     IS DISTINCT FROM p_hash THEN
    PERFORM c2p.raise_alert('bad_hash', p_chain, p_seq,
        format('record %s of chain %s does not match its hash', p_seq, p_chain));
    RETURN 'bad_hash';
  END IF;

  IF p_seq <= chain.last_seq THEN
    SELECT hash INTO stored_hash FROM c2p.records WHERE chain_id = p_chain AND seq = p_seq;
    IF stored_hash = p_hash THEN
      RETURN 'duplicate';
    END IF;
    PERFORM c2p.raise_alert('fork', p_chain, p_seq,
        format('record %s of chain %s differs from the copy the centre holds', p_seq, p_chain));
    RETURN 'fork';
  END IF;
  IF p_seq = chain.last_seq + 1 AND p_prev_hash <> chain.last_hash AND chain.last_seq > 0 THEN
    PERFORM c2p.raise_alert('fork', p_chain, p_seq,
        format('record %s of chain %s does not link to record %s the centre holds: the chain was changed before it',
                     p_seq, p_chain, chain.last_seq));
    RETURN 'fork';
  END IF;
  IF p_seq <> chain.last_seq + 1 THEN
    PERFORM c2p.raise_alert('gap', p_chain, p_seq,
        format('record %s of chain %s does not follow the last the centre holds (%s)',
                     p_seq, p_chain, chain.last_seq));
    RETURN 'gap';
  END IF;

  skew := abs(extract(epoch FROM (now() - p_sent_at::timestamptz))) > 300;
  -- One alert an hour per chain, not one per record.
  IF skew AND NOT EXISTS (SELECT 1 FROM c2p.alerts WHERE kind = 'clock' AND chain_id = p_chain
                          AND at > now() - interval '1 hour') THEN
    PERFORM c2p.raise_alert('clock', p_chain, p_seq,
        format('the workstation''s clock said %s when it sent record %s; the centre''s said %s',
                     p_sent_at, p_seq,
                     to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
  END IF;
  IF p_redacted THEN
    PERFORM c2p.raise_alert('redacted', p_chain, p_seq,
        format('record %s of chain %s held a card number and came redacted: its hash covers the original, kept in the workstation''s own log, and cannot be checked here',
                     p_seq, p_chain));
  END IF;
  -- This month's partition, looked for once a month per session.
  IF current_setting('c2p.partition_month', true) IS DISTINCT FROM to_char(now(), 'YYYY_MM') THEN
    PERFORM c2p.month_partition(date_trunc('month', now())::date);
    PERFORM set_config('c2p.partition_month', to_char(now(), 'YYYY_MM'), false);
  END IF;
  INSERT INTO c2p.records (chain_id, seq, time, clock_off, login, operator, role, workstation, event,
                           resource, result, operation_id, correlation_id, prev_hash, hash, version,
                           redacted)
    VALUES (p_chain, p_seq, p_time, skew, session_user, p_operator, p_role, p_workstation, p_event,
            p_resource, p_result, p_operation_id, p_correlation_id, p_prev_hash, p_hash, p_version,
            p_redacted);
  UPDATE c2p.chains
    SET last_seq = p_seq, last_hash = p_hash,
        named = named OR p_operator = me.operator,
        id_seq = CASE WHEN p_event = 'audit_chain_id' AND id_seq IS NULL THEN p_seq ELSE id_seq END
    WHERE chain_id = p_chain;
  RETURN 'stored';
END
$$;

-- Ingest: the only way in, a batch of records (a JSON array of at most 1,000, in chain order)
-- in one call; stops at the first record not held and answers each record's word, in order.
CREATE OR REPLACE FUNCTION c2p.ingest(p_records jsonb) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  r jsonb;
  verdict text;
  verdicts text[] := '{}';
BEGIN
  IF jsonb_typeof(p_records) <> 'array' OR jsonb_array_length(p_records) > 1000 THEN
    RAISE EXCEPTION 'ingest takes a JSON array of at most 1000 records'
      USING ERRCODE = 'program_limit_exceeded';
  END IF;
  FOR r IN SELECT value FROM jsonb_array_elements(p_records) LOOP
    verdict := c2p.ingest_one(
      r->>'chain', (r->>'seq')::bigint, r->>'time', r->>'operator', r->>'role',
      r->>'workstation', r->>'account', r->>'event', r->>'resource', r->>'result',
      r->>'operationId', r->>'correlationId', r->>'prevHash', r->>'hash',
      (r->>'version')::integer, coalesce((r->>'redacted')::boolean, false), r->>'sentAt');
    verdicts := verdicts || verdict;
    EXIT WHEN verdict NOT IN ('stored', 'duplicate');
  END LOOP;
  RETURN verdicts;
END
$$;

REVOKE ALL ON FUNCTION c2p.ingest_one FROM PUBLIC;
REVOKE ALL ON FUNCTION c2p.raise_alert FROM PUBLIC;
REVOKE ALL ON FUNCTION c2p.holds_pan FROM PUBLIC;
REVOKE ALL ON FUNCTION c2p.ingest FROM PUBLIC;
REVOKE ALL ON FUNCTION c2p.month_partition FROM PUBLIC;
REVOKE ALL ON FUNCTION c2p.field FROM PUBLIC;
REVOKE ALL ON FUNCTION c2p.record_hash FROM PUBLIC;
GRANT USAGE ON SCHEMA c2p TO c2p_operator;
GRANT EXECUTE ON FUNCTION c2p.ingest TO c2p_operator;

-- Reading: an auditor the whole trail, anyone else their own records (row security on the
-- parent; partitions grant nothing, so they cannot be read around it).
CREATE OR REPLACE FUNCTION c2p.my_operator() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
  SELECT operator FROM c2p.logins WHERE login = session_user AND revoked_at IS NULL
$$;
REVOKE ALL ON FUNCTION c2p.my_operator FROM PUBLIC;
GRANT EXECUTE ON FUNCTION c2p.my_operator TO c2p_operator;
GRANT SELECT ON c2p.records, c2p.chains TO c2p_operator;
GRANT SELECT ON c2p.alerts TO c2p_auditor;
ALTER TABLE c2p.records ENABLE ROW LEVEL SECURITY;
ALTER TABLE c2p.chains ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS read_trail ON c2p.records;
CREATE POLICY read_trail ON c2p.records FOR SELECT TO c2p_operator
  USING (c2p.my_operator() IS NOT NULL
         AND (pg_has_role(session_user, 'c2p_auditor', 'MEMBER')
              OR chain_id IN (SELECT chain_id FROM c2p.chains WHERE operator = c2p.my_operator())));
DROP POLICY IF EXISTS read_chains ON c2p.chains;
CREATE POLICY read_chains ON c2p.chains FOR SELECT TO c2p_operator
  USING (c2p.my_operator() IS NOT NULL
         AND (pg_has_role(session_user, 'c2p_auditor', 'MEMBER') OR operator = c2p.my_operator()));
