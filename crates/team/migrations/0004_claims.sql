-- C2P Care team store, version 4: the team's journal of writes. Before a write leaves a
-- workstation it claims its target here: one unfinished write per card or consumer across every
-- workstation, and a consumer's write and its cards' writes exclude each other. The fraud team's
-- batches live here too: every workstation sees them, and one whose runner stopped is taken over.

CREATE TABLE IF NOT EXISTS c2p.claims (
  id bigserial PRIMARY KEY,
  -- The D1 environment's identity (its base URL and issuerId), never a local name.
  environment text NOT NULL CHECK (length(environment) <= 512),
  -- The write: OPT_OUT_CARD, OPT_OUT_CONSUMER, ENROL_CARD, UPDATE_CARD, UPDATE_CONSUMER.
  kind text NOT NULL CHECK (kind ~ '^[A-Z_]{1,32}$'),
  target_kind text NOT NULL CHECK (target_kind IN ('card', 'consumer')),
  target text NOT NULL CHECK (target ~ '^[A-Za-z0-9_-]{1,64}$'),
  -- The consumer a card belongs to (a card's write), or the consumer itself.
  consumer text NOT NULL CHECK (consumer ~ '^[A-Za-z0-9_-]{1,64}$'),
  -- SENDING (claimed, with a lease, immediately before the request leaves), PENDING (D1
  -- accepted it, the operation has not ended), UNKNOWN (a lease ran out or the answer was lost:
  -- reconcile, never resend blindly), and the final SUCCESSFUL, FAILED, NOT_SENT, RELEASED.
  state text NOT NULL,
  login name NOT NULL,
  operator text NOT NULL,
  workstation text NOT NULL CHECK (length(workstation) <= 255 AND NOT c2p.holds_pan(workstation)),
  -- The correlation id the request carries: another workstation reconciles by it.
  correlation_id text CHECK (correlation_id ~ '^[A-Za-z0-9_-]{1,64}$'),
  claimed_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  operation_id text CHECK (length(operation_id) <= 64),
  finished_at timestamptz,
  released_by name,
  release_reason text CHECK (length(release_reason) <= 500 AND NOT c2p.holds_pan(release_reason))
);
-- One unfinished write per target in an environment.
CREATE UNIQUE INDEX IF NOT EXISTS claims_one_open ON c2p.claims (environment, target)
  WHERE state IN ('SENDING', 'PENDING', 'UNKNOWN');
CREATE INDEX IF NOT EXISTS claims_consumer_open ON c2p.claims (environment, consumer)
  WHERE state IN ('SENDING', 'PENDING', 'UNKNOWN');
-- The same write just applied, and a consumer's history: found without reading every claim.
CREATE INDEX IF NOT EXISTS claims_target ON c2p.claims (environment, target, finished_at);
CREATE INDEX IF NOT EXISTS claims_history ON c2p.claims (environment, consumer, claimed_at);
-- A login's writes under way, counted at each claim.
CREATE INDEX IF NOT EXISTS claims_login_open ON c2p.claims (login)
  WHERE state = 'SENDING';
-- A row per consumer, locked while a claim on it or its cards is decided (a login cannot lock
-- it from outside: it has no UPDATE right).
CREATE TABLE IF NOT EXISTS c2p.claim_keys (
  environment text NOT NULL CHECK (length(environment) <= 512),
  consumer text NOT NULL CHECK (consumer ~ '^[A-Za-z0-9_-]{1,64}$'),
  PRIMARY KEY (environment, consumer)
);
-- The fraud team's logins: only they make, run, take over and steer batches.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'c2p_fraud') THEN
    CREATE ROLE c2p_fraud NOLOGIN IN ROLE c2p_operator;
  END IF;
END
$$;
REVOKE ALL ON c2p.claims, c2p.claim_keys FROM PUBLIC;

-- A batch opt-out and its items. One runner at a time holds it, with a lease it renews; a batch
-- whose lease ran out may be taken over by another fraud workstation. Any fraud workstation may
-- ask it to pause, run or cancel (`control`); the runner obeys.
CREATE TABLE IF NOT EXISTS c2p.batches (
  id text PRIMARY KEY CHECK (id ~ '^b-[0-9A-Za-z-]{1,60}$'),
  environment text NOT NULL CHECK (length(environment) <= 512),
  operator text NOT NULL,
  login name NOT NULL,
  workstation text NOT NULL CHECK (length(workstation) <= 255 AND NOT c2p.holds_pan(workstation)),
  reason_code text NOT NULL CHECK (reason_code ~ '^[A-Z_]{1,32}$'),
  reason text CHECK (reason ~ '^[A-Za-z0-9 ]{1,64}$'),
  -- CREATED, RUNNING, PAUSED, WAITING (the runner waits for something, `why`), CANCELLED, DONE.
  -- Its runner (the last one once let go, `lease_until` then empty).
  state text NOT NULL DEFAULT 'CREATED',
  why text CHECK (length(why) <= 500 AND NOT c2p.holds_pan(why)),
  control text NOT NULL DEFAULT 'RUN' CHECK (control IN ('RUN', 'PAUSE', 'CANCEL')),
  runner_login name,
  runner_operator text,
  runner_workstation text CHECK (length(runner_workstation) <= 255
                                 AND NOT c2p.holds_pan(runner_workstation)),
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS c2p.batch_items (
  batch_id text NOT NULL REFERENCES c2p.batches (id),
  seq integer NOT NULL CHECK (seq >= 0),
  kind text NOT NULL CHECK (kind IN ('CARD', 'CONSUMER')),
  target text NOT NULL CHECK (target ~ '^[A-Za-z0-9_-]{1,64}$'),
  line integer NOT NULL,
  -- NOT_SENT, SENDING, PENDING, UNKNOWN, SUCCESSFUL, FAILED, SKIPPED.
  status text NOT NULL DEFAULT 'NOT_SENT',
  claim_id bigint REFERENCES c2p.claims (id),
  operation_id text CHECK (length(operation_id) <= 64),
  sent_by text,
  PRIMARY KEY (batch_id, seq)
);
-- Who asked what of a batch (made, taken over, paused, run, cancelled), append-only.
CREATE TABLE IF NOT EXISTS c2p.batch_events (
  id bigserial PRIMARY KEY,
  batch_id text NOT NULL REFERENCES c2p.batches (id),
  at timestamptz NOT NULL DEFAULT now(),
  login name NOT NULL,
  operator text NOT NULL,
  what text NOT NULL CHECK (length(what) <= 200)
);
SELECT c2p.append_only('c2p.batch_events');
-- An item found by its write's claim when the claim ends.
CREATE INDEX IF NOT EXISTS batch_items_claim ON c2p.batch_items (claim_id);
CREATE INDEX IF NOT EXISTS batches_environment ON c2p.batches (environment, created_at);
REVOKE ALL ON c2p.batches, c2p.batch_items, c2p.batch_events FROM PUBLIC;
GRANT SELECT ON c2p.batches, c2p.batch_items, c2p.batch_events TO c2p_operator;

-- Claims `p_target` for a write of `p_kind` (carrying `p_correlation_id`) about to leave: the
-- claim is SENDING with a lease of `p_seconds`, by which the request must have left. Answers the claim's id, or the write in the way (its kind,
-- operator, workstation, since when and state) and no id: an unfinished one on the target, its
-- consumer or one of its cards, or the same write on the same target that D1 applied less than
-- `p_done_within` seconds ago (two agents on one customer's call). For item `p_seq` of batch
-- `p_batch`, only the batch's runner, while its lease runs, may claim (else the answer names the
-- runner, in state RUNNER), and the item notes its claim.
CREATE OR REPLACE FUNCTION c2p.claim(
  p_environment text, p_kind text, p_target_kind text, p_target text, p_consumer text,
  p_workstation text, p_correlation_id text, p_seconds integer, p_done_within integer,
  p_batch text, p_seq integer
) RETURNS TABLE (claim_id bigint, held_kind text, held_operator text, held_workstation text,
                 held_since timestamptz, held_state text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  me c2p.logins%ROWTYPE;
  held c2p.claims%ROWTYPE;
  runner c2p.batches%ROWTYPE;
  claimed bigint;
BEGIN
  SELECT * INTO me FROM c2p.logins WHERE login = session_user AND revoked_at IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'this login may not write: it is revoked or bound to no operator'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF pg_has_role(session_user, 'c2p_auditor', 'MEMBER') THEN
    RAISE EXCEPTION 'an auditor''s login does not write' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_target_kind NOT IN ('card', 'consumer') OR p_target !~ '^[A-Za-z0-9_-]{1,64}$'
     OR p_consumer !~ '^[A-Za-z0-9_-]{1,64}$' OR length(p_environment) > 512
     OR (p_target_kind = 'consumer' AND p_consumer <> p_target) THEN
    RAISE EXCEPTION 'not a claimable target' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- A login holds at most 200 unfinished writes: it cannot lock the team out of many cards.
  IF (SELECT count(*) FROM c2p.claims
      WHERE login = session_user AND state = 'SENDING') >= 200 THEN
    RAISE EXCEPTION 'this login holds 200 writes under way: wait for them to end'
      USING ERRCODE = 'program_limit_exceeded';
  END IF;
  IF p_batch IS NOT NULL THEN
    -- Shared: a takeover (which updates the row) waits for this claim, then adopts it.
    SELECT * INTO runner FROM c2p.batches b WHERE b.id = p_batch FOR SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no batch %', p_batch USING ERRCODE = 'no_data_found';
    END IF;
    IF runner.runner_login IS DISTINCT FROM session_user OR runner.lease_until IS NULL
       OR runner.lease_until < now() THEN
      RETURN QUERY SELECT NULL::bigint, 'BATCH'::text, runner.runner_operator,
                          runner.runner_workstation, runner.lease_until, 'RUNNER'::text;
      RETURN;
    END IF;
    -- The item as the batch holds it, in the batch's environment: nothing else.
    IF runner.environment <> p_environment OR NOT EXISTS (
         SELECT 1 FROM c2p.batch_items i
         WHERE i.batch_id = p_batch AND i.seq = p_seq AND i.target = p_target
           AND i.kind = upper(p_target_kind) AND i.status <> 'SKIPPED') THEN
      RAISE EXCEPTION 'item % of batch % is not this write', p_seq, p_batch
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END IF;
  INSERT INTO c2p.claim_keys VALUES (p_environment, p_consumer) ON CONFLICT DO NOTHING;
  PERFORM 1 FROM c2p.claim_keys
    WHERE environment = p_environment AND consumer = p_consumer FOR UPDATE;
  -- Leases that ran out: the write may or may not have left (UNKNOWN, reconciled from D1).
  UPDATE c2p.claims c SET state = 'UNKNOWN'
    WHERE c.environment = p_environment AND c.consumer = p_consumer
      AND c.state = 'SENDING' AND c.lease_until < now();
  -- The same target, the consumer of this card, or a card of this consumer.
  SELECT * INTO held FROM c2p.claims
    WHERE environment = p_environment AND state IN ('SENDING', 'PENDING', 'UNKNOWN')
      AND (target = p_target
           OR (consumer = p_consumer AND (target_kind = 'consumer' OR p_target_kind = 'consumer')))
    ORDER BY claimed_at LIMIT 1;
  IF NOT FOUND THEN
    SELECT * INTO held FROM c2p.claims
      WHERE environment = p_environment AND target = p_target AND kind = p_kind
        AND state = 'SUCCESSFUL'
        AND finished_at > now() - make_interval(secs => greatest(p_done_within, 0))
      ORDER BY finished_at DESC LIMIT 1;
  END IF;
  IF FOUND THEN
    RETURN QUERY SELECT NULL::bigint, held.kind, held.operator, held.workstation,
                        coalesce(held.finished_at, held.claimed_at),
                        held.state;
    RETURN;
  END IF;
  INSERT INTO c2p.claims (environment, kind, target_kind, target, consumer, state, login,
                          operator, workstation, correlation_id, lease_until)
  VALUES (p_environment, p_kind, p_target_kind, p_target, p_consumer, 'SENDING', session_user,
          me.operator, p_workstation, p_correlation_id,
          now() + make_interval(secs => least(greatest(p_seconds, 1), 600)))
  RETURNING id INTO claimed;
  IF p_batch IS NOT NULL THEN
    UPDATE c2p.batch_items SET claim_id = claimed, status = 'SENDING', sent_by = me.operator
      WHERE batch_id = p_batch AND seq = p_seq;
    PERFORM pg_notify('c2p_batches', p_batch);
  END IF;
  RETURN QUERY SELECT claimed, NULL::text, NULL::text, NULL::text, NULL::timestamptz, NULL::text;
END
$$;

-- The claim's outcome: SUCCESSFUL, FAILED or NOT_SENT (final), PENDING (D1 accepted it; no lease
-- runs out) or UNKNOWN (to reconcile), with D1's operationId. Only the login that holds it, or
-- any login of the same operator for a PENDING or UNKNOWN claim it followed. A batch item sent
-- by this claim takes the same status (the claim is the truth: nobody sets an item's by hand).
CREATE OR REPLACE FUNCTION c2p.claim_finish(p_claim bigint, p_state text, p_operation_id text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  batch text;
BEGIN
  IF p_state NOT IN ('SUCCESSFUL', 'FAILED', 'NOT_SENT', 'PENDING', 'UNKNOWN') THEN
    RAISE EXCEPTION 'no such outcome: %', p_state USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE c2p.claims
    SET state = p_state,
        operation_id = coalesce(p_operation_id, operation_id),
        lease_until = NULL,
        finished_at = CASE WHEN p_state IN ('PENDING', 'UNKNOWN') THEN NULL ELSE now() END
    WHERE id = p_claim AND state IN ('SENDING', 'PENDING', 'UNKNOWN')
      AND (login = session_user
           OR (state IN ('PENDING', 'UNKNOWN') AND operator = c2p.my_operator()));
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  UPDATE c2p.batch_items i
    SET status = p_state, operation_id = coalesce(p_operation_id, i.operation_id)
    WHERE i.claim_id = p_claim
    RETURNING i.batch_id INTO batch;
  IF batch IS NOT NULL THEN
    PERFORM pg_notify('c2p_batches', batch);
  END IF;
  RETURN true;
END
$$;

-- A claim whose answer was lost on its way back (the store went away) and whose write never
-- left (its sender gave up without an answer): the login that made it, knowing the correlation
-- id, ends it as NOT_SENT so that the target is free again at once, even after its lease ran
-- out, as long as no D1 operation is known for it. True when no such claim is open any more
-- (ended now, or never made); false when one is open that may not be ended so.
CREATE OR REPLACE FUNCTION c2p.claim_abandon(p_correlation_id text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  abandoned bigint;
BEGIN
  UPDATE c2p.claims
    SET state = 'NOT_SENT', finished_at = now(), lease_until = NULL
    WHERE login = session_user AND correlation_id = p_correlation_id
      AND state IN ('SENDING', 'UNKNOWN') AND operation_id IS NULL
    RETURNING id INTO abandoned;
  IF abandoned IS NOT NULL THEN
    UPDATE c2p.batch_items SET status = 'NOT_SENT' WHERE claim_id = abandoned;
    RETURN true;
  END IF;
  RETURN NOT EXISTS (SELECT 1 FROM c2p.claims
                     WHERE correlation_id = p_correlation_id
                       AND state IN ('SENDING', 'PENDING', 'UNKNOWN'));
END
$$;

REVOKE ALL ON FUNCTION c2p.claim, c2p.claim_finish, c2p.claim_abandon FROM PUBLIC;
GRANT EXECUTE ON FUNCTION c2p.claim, c2p.claim_finish, c2p.claim_abandon TO c2p_operator;

-- The calling login, when it may write (bound to an operator, not revoked).
CREATE OR REPLACE FUNCTION c2p.writer() RETURNS c2p.logins
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  me c2p.logins%ROWTYPE;
BEGIN
  SELECT * INTO me FROM c2p.logins WHERE login = session_user AND revoked_at IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'this login may not write: it is revoked or bound to no operator'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN me;
END
$$;

-- The calling login, when it is a fraud team member's (only they make, run and steer batches).
CREATE OR REPLACE FUNCTION c2p.fraud_writer() RETURNS c2p.logins
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  me c2p.logins%ROWTYPE := c2p.writer();
BEGIN
  IF NOT pg_has_role(session_user, 'c2p_fraud', 'MEMBER') THEN
    RAISE EXCEPTION 'this login is not a fraud team member''s: batches are theirs'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN me;
END
$$;

-- Makes batch `p_id` in `p_environment` with its items (a JSON array of {seq, kind, target,
-- line}), for the calling login's operator on `p_workstation`.
CREATE OR REPLACE FUNCTION c2p.batch_create(
  p_id text, p_environment text, p_reason_code text, p_reason text, p_workstation text,
  p_items jsonb
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  me c2p.logins%ROWTYPE := c2p.fraud_writer();
BEGIN
  IF jsonb_array_length(p_items) > 100000 THEN
    RAISE EXCEPTION 'a batch holds at most 100000 items' USING ERRCODE = 'program_limit_exceeded';
  END IF;
  INSERT INTO c2p.batches (id, environment, operator, login, workstation, reason_code, reason)
  VALUES (p_id, p_environment, me.operator, session_user, p_workstation, p_reason_code, p_reason);
  INSERT INTO c2p.batch_items (batch_id, seq, kind, target, line, status)
  SELECT p_id, (i->>'seq')::integer, i->>'kind', i->>'target', (i->>'line')::integer,
         CASE WHEN (i->>'skipped')::boolean THEN 'SKIPPED' ELSE 'NOT_SENT' END
  FROM jsonb_array_elements(p_items) i;
  INSERT INTO c2p.batch_events (batch_id, login, operator, what)
  VALUES (p_id, session_user, me.operator, 'made');
  PERFORM pg_notify('c2p_batches', p_id);
END
$$;

-- Holds batch `p_id` as its runner for `p_seconds` (a fraud team member's login). `p_mode`
-- START holds a batch nobody has run, or one this login ran (not one done, nor one another
-- cancelled); RENEW only renews this login's hold (a runner that was taken over never gets it
-- back so); TAKE_OVER takes a batch, not ended, from another runner whose hold ran out or who
-- let it go: that runner's claims on the batch that were sending become UNKNOWN, and the open
-- ones pass to this login to reconcile before anything else is sent.
-- Answers whether it is held, whom it was taken from, the runner, until when, and what the team
-- asked of it.
CREATE OR REPLACE FUNCTION c2p.batch_hold(p_id text, p_seconds integer, p_workstation text,
                                          p_mode text)
RETURNS TABLE (held boolean, taken_from text, runner_operator text, runner_workstation text,
               lease_until timestamptz, control text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  me c2p.logins%ROWTYPE := c2p.fraud_writer();
  b c2p.batches%ROWTYPE;
  previous text;
  allowed boolean;
BEGIN
  SELECT * INTO b FROM c2p.batches WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no batch %', p_id USING ERRCODE = 'no_data_found';
  END IF;
  allowed := CASE p_mode
    WHEN 'RENEW' THEN b.runner_login = session_user AND b.lease_until IS NOT NULL
    WHEN 'START' THEN b.state <> 'DONE'
                      AND (b.runner_login = session_user
                           OR (b.runner_login IS NULL AND b.state <> 'CANCELLED'))
    WHEN 'TAKE_OVER' THEN b.state NOT IN ('DONE', 'CANCELLED')
                          AND (b.runner_login IS NULL OR b.runner_login = session_user
                               OR b.lease_until IS NULL OR b.lease_until < now())
  END;
  IF allowed IS NULL THEN
    RAISE EXCEPTION 'no such hold: %', p_mode USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT allowed THEN
    RETURN QUERY SELECT false, NULL::text, b.runner_operator, b.runner_workstation, b.lease_until,
                        b.control;
    RETURN;
  END IF;
  IF b.runner_login IS NOT NULL AND b.runner_login <> session_user THEN
    previous := b.runner_operator || ' on ' || b.runner_workstation;
    UPDATE c2p.claims c
      SET state = CASE c.state WHEN 'SENDING' THEN 'UNKNOWN' ELSE c.state END,
          login = session_user, lease_until = NULL
      FROM c2p.batch_items i
      WHERE i.batch_id = p_id AND i.claim_id = c.id
        AND c.state IN ('SENDING', 'PENDING', 'UNKNOWN');
    UPDATE c2p.batch_items i SET status = c.state
      FROM c2p.claims c
      WHERE i.batch_id = p_id AND i.claim_id = c.id AND i.status = 'SENDING';
    INSERT INTO c2p.batch_events (batch_id, login, operator, what)
    VALUES (p_id, session_user, me.operator, 'taken over from ' || previous);
  END IF;
  UPDATE c2p.batches
    SET runner_login = session_user, runner_operator = me.operator,
        runner_workstation = p_workstation,
        lease_until = now() + make_interval(secs => least(greatest(p_seconds, 1), 600)),
        updated_at = now()
    WHERE id = p_id
    RETURNING * INTO b;
  IF previous IS NOT NULL OR b.state = 'CREATED' THEN
    PERFORM pg_notify('c2p_batches', p_id);
  END IF;
  RETURN QUERY SELECT true, previous, b.runner_operator, b.runner_workstation, b.lease_until,
                      b.control;
END
$$;

-- The runner says where batch `p_id` stands (RUNNING, PAUSED, WAITING with `p_why`, CANCELLED,
-- DONE); a runner that ends lets the batch go (it stays named as its last runner). False when
-- this login does not run it.
CREATE OR REPLACE FUNCTION c2p.batch_state(p_id text, p_state text, p_why text, p_release boolean)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
BEGIN
  IF p_state NOT IN ('RUNNING', 'PAUSED', 'WAITING', 'CANCELLED', 'DONE') THEN
    RAISE EXCEPTION 'no such batch state: %', p_state USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE c2p.batches
    SET state = p_state, why = p_why, updated_at = now(),
        lease_until = CASE WHEN p_release THEN NULL ELSE lease_until END,
        control = CASE WHEN p_state IN ('CANCELLED', 'DONE') THEN 'RUN' ELSE control END
    WHERE id = p_id AND runner_login = session_user AND lease_until IS NOT NULL;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM pg_notify('c2p_batches', p_id);
  RETURN true;
END
$$;

-- Any fraud workstation asks batch `p_id`'s runner to RUN, PAUSE or CANCEL (the console checks
-- the role). False when there is no such batch.
CREATE OR REPLACE FUNCTION c2p.batch_control(p_id text, p_control text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  me c2p.logins%ROWTYPE := c2p.fraud_writer();
BEGIN
  UPDATE c2p.batches SET control = p_control, updated_at = now() WHERE id = p_id;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  INSERT INTO c2p.batch_events (batch_id, login, operator, what)
  VALUES (p_id, session_user, me.operator, 'asked to ' || p_control);
  PERFORM pg_notify('c2p_batches', p_id);
  RETURN true;
END
$$;

REVOKE ALL ON FUNCTION c2p.writer, c2p.fraud_writer, c2p.batch_create, c2p.batch_hold,
  c2p.batch_state, c2p.batch_control FROM PUBLIC;
GRANT EXECUTE ON FUNCTION c2p.batch_create, c2p.batch_hold, c2p.batch_state, c2p.batch_control
  TO c2p_operator;
-- The team's writes are the team's to see (who, where, when, outcome).
GRANT SELECT ON c2p.claims TO c2p_operator;

-- An administrator (the database owner's account, like `c2p team init`) releases a claim stuck in
-- UNKNOWN (or SENDING past its lease, or PENDING, its holder gone) after reconciliation failed,
-- with a reason kept beside it.
CREATE OR REPLACE FUNCTION c2p.claim_release(p_claim bigint, p_reason text) RETURNS boolean
LANGUAGE sql SET search_path = pg_catalog, c2p, pg_temp AS $$
  UPDATE c2p.claims
    SET state = 'RELEASED', finished_at = now(), released_by = session_user,
        release_reason = p_reason
    WHERE id = p_claim
      AND (state IN ('UNKNOWN', 'PENDING') OR (state = 'SENDING' AND lease_until < now()))
  RETURNING true
$$;
REVOKE ALL ON FUNCTION c2p.claim_release FROM PUBLIC;

-- A fraud analyst's emergency mode, as its records reach the trail: declared, a write sent
-- unclaimed, or one claimed afterwards that found another workstation's write in its way. Each
-- is raised as an alert, which the auditors and the SIEM feed see (within a login's alert
-- limit); a write sent unclaimed that no declaration on its chain covers (its `until` not
-- reached at the write's time) is raised as critical: emergency mode was not declared.
CREATE OR REPLACE FUNCTION c2p.raise_emergency() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  detail text := left(NEW.operator || ' on ' || NEW.workstation || ': '
                      || coalesce(NEW.resource, '-') || ': ' || NEW.result, 500);
BEGIN
  IF NEW.event = 'emergency_write' AND NOT EXISTS (
       SELECT 1 FROM c2p.records r
       WHERE r.chain_id = NEW.chain_id AND r.seq < NEW.seq AND r.event = 'emergency_start'
         AND r.operator = NEW.operator
         AND substring(r.result FROM '^until ([^;]+);') >= NEW.time) THEN
    PERFORM c2p.raise_alert('emergency_undeclared', NEW.chain_id, NEW.seq, detail);
  ELSE
    PERFORM c2p.raise_alert(NEW.event, NEW.chain_id, NEW.seq, detail);
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION c2p.raise_emergency FROM PUBLIC;
DROP TRIGGER IF EXISTS records_emergency ON c2p.records;
CREATE TRIGGER records_emergency AFTER INSERT ON c2p.records
  FOR EACH ROW
  WHEN (NEW.event IN ('emergency_start', 'emergency_write')
        OR (NEW.event = 'emergency_claim' AND NEW.result LIKE 'in the way%'))
  EXECUTE FUNCTION c2p.raise_emergency();
