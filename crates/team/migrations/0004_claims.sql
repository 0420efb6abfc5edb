-- C2P Care team store, version 4: the team's journal of writes. Before a write leaves a
-- workstation it claims its target here: one unfinished write per card or consumer across every
-- workstation, and a consumer's write and its cards' writes exclude each other.

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
  -- CLAIMED, SENDING (with a lease), PENDING (D1 accepted it, the operation has not ended),
  -- UNKNOWN (a lease ran out or the answer was lost: reconcile, never resend blindly), and the
  -- final SUCCESSFUL, FAILED, NOT_SENT, RELEASED.
  state text NOT NULL,
  login name NOT NULL,
  operator text NOT NULL,
  workstation text NOT NULL CHECK (length(workstation) <= 255),
  -- The correlation id the request carries: another workstation reconciles by it.
  correlation_id text CHECK (correlation_id ~ '^[A-Za-z0-9_-]{1,64}$'),
  claimed_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  operation_id text CHECK (length(operation_id) <= 64),
  finished_at timestamptz,
  released_by name,
  release_reason text CHECK (length(release_reason) <= 500)
);
-- One unfinished write per target in an environment.
CREATE UNIQUE INDEX IF NOT EXISTS claims_one_open ON c2p.claims (environment, target)
  WHERE state IN ('CLAIMED', 'SENDING', 'PENDING', 'UNKNOWN');
CREATE INDEX IF NOT EXISTS claims_consumer_open ON c2p.claims (environment, consumer)
  WHERE state IN ('CLAIMED', 'SENDING', 'PENDING', 'UNKNOWN');
-- A row per consumer, locked while a claim on it or its cards is decided (a login cannot lock
-- it from outside: it has no UPDATE right).
CREATE TABLE IF NOT EXISTS c2p.claim_keys (
  environment text NOT NULL,
  consumer text NOT NULL,
  PRIMARY KEY (environment, consumer)
);
REVOKE ALL ON c2p.claims, c2p.claim_keys FROM PUBLIC;

-- Leases that ran out: a claim never marked sending was never sent (NOT_SENT, final: its holder
-- can no longer mark it); one that was sending may or may not have left (UNKNOWN).
CREATE OR REPLACE FUNCTION c2p.expire_leases(p_environment text, p_consumer text) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, c2p, pg_temp AS $$
  UPDATE c2p.claims
    SET state = CASE state WHEN 'CLAIMED' THEN 'NOT_SENT' ELSE 'UNKNOWN' END,
        finished_at = CASE state WHEN 'CLAIMED' THEN now() END
  WHERE environment = p_environment AND consumer = p_consumer
    AND state IN ('CLAIMED', 'SENDING') AND lease_until < now()
$$;

-- Claims `p_target` for a write of `p_kind` (carrying `p_correlation_id`), for `p_seconds`
-- until it is marked sending. Answers the claim's id, or the write in the way (its kind,
-- operator, workstation, since when and state) and no id: an unfinished one on the target, its
-- consumer or one of its cards, or the same write on the same target that D1 applied less than
-- `p_done_within` seconds ago (two agents on one customer's call).
CREATE OR REPLACE FUNCTION c2p.claim(
  p_environment text, p_kind text, p_target_kind text, p_target text, p_consumer text,
  p_workstation text, p_correlation_id text, p_seconds integer, p_done_within integer
) RETURNS TABLE (claim_id bigint, held_kind text, held_operator text, held_workstation text,
                 held_since timestamptz, held_state text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  me c2p.logins%ROWTYPE;
  held c2p.claims%ROWTYPE;
BEGIN
  SELECT * INTO me FROM c2p.logins WHERE login = session_user AND revoked_at IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'this login may not write: it is revoked or bound to no operator'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO c2p.claim_keys VALUES (p_environment, p_consumer) ON CONFLICT DO NOTHING;
  PERFORM 1 FROM c2p.claim_keys
    WHERE environment = p_environment AND consumer = p_consumer FOR UPDATE;
  PERFORM c2p.expire_leases(p_environment, p_consumer);
  -- The same target, the consumer of this card, or a card of this consumer.
  SELECT * INTO held FROM c2p.claims
    WHERE environment = p_environment AND state IN ('CLAIMED', 'SENDING', 'PENDING', 'UNKNOWN')
      AND (target = p_target
           OR (p_target_kind = 'card' AND target_kind = 'consumer' AND target = p_consumer)
           OR (p_target_kind = 'consumer' AND consumer = p_target))
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
  RETURN QUERY
    INSERT INTO c2p.claims (environment, kind, target_kind, target, consumer, state, login,
                            operator, workstation, correlation_id, lease_until)
    VALUES (p_environment, p_kind, p_target_kind, p_target, p_consumer, 'CLAIMED', session_user,
            me.operator, p_workstation, p_correlation_id,
            now() + make_interval(secs => least(greatest(p_seconds, 1), 600)))
    RETURNING id, NULL::text, NULL::text, NULL::text, NULL::timestamptz, NULL::text;
END
$$;

-- The claim's holder, immediately before it sends: marks it SENDING with a lease of
-- `p_seconds`, or renews it. False when this login no longer holds it (its lease ran out and it
-- became UNKNOWN, or it was released): then nothing may be sent.
CREATE OR REPLACE FUNCTION c2p.claim_send(p_claim bigint, p_seconds integer) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
DECLARE
  claim c2p.claims%ROWTYPE;
BEGIN
  SELECT * INTO claim FROM c2p.claims WHERE id = p_claim AND login = session_user FOR UPDATE;
  IF NOT FOUND OR claim.state NOT IN ('CLAIMED', 'SENDING') THEN
    RETURN false;
  END IF;
  IF claim.lease_until < now() THEN
    UPDATE c2p.claims
      SET state = CASE state WHEN 'CLAIMED' THEN 'NOT_SENT' ELSE 'UNKNOWN' END,
          finished_at = CASE state WHEN 'CLAIMED' THEN now() END
      WHERE id = p_claim;
    RETURN false;
  END IF;
  UPDATE c2p.claims
    SET state = 'SENDING',
        lease_until = now() + make_interval(secs => least(greatest(p_seconds, 1), 600))
    WHERE id = p_claim;
  RETURN true;
END
$$;

-- The claim's outcome: SUCCESSFUL, FAILED or NOT_SENT (final), PENDING (D1 accepted it; no lease
-- runs out) or UNKNOWN (to reconcile), with D1's operationId. Only the login that holds it, or
-- any login of the same operator for a PENDING or UNKNOWN claim it followed.
CREATE OR REPLACE FUNCTION c2p.claim_finish(p_claim bigint, p_state text, p_operation_id text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, c2p, pg_temp AS $$
BEGIN
  IF p_state NOT IN ('SUCCESSFUL', 'FAILED', 'NOT_SENT', 'PENDING', 'UNKNOWN') THEN
    RAISE EXCEPTION 'no such outcome: %', p_state USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE c2p.claims
    SET state = p_state,
        operation_id = coalesce(p_operation_id, operation_id),
        lease_until = NULL,
        finished_at = CASE WHEN p_state IN ('PENDING', 'UNKNOWN') THEN NULL ELSE now() END
    WHERE id = p_claim AND state IN ('CLAIMED', 'SENDING', 'PENDING', 'UNKNOWN')
      AND (login = session_user
           OR (state IN ('PENDING', 'UNKNOWN') AND operator = c2p.my_operator()));
  RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION c2p.expire_leases, c2p.claim, c2p.claim_send, c2p.claim_finish FROM PUBLIC;
GRANT EXECUTE ON FUNCTION c2p.claim, c2p.claim_send, c2p.claim_finish TO c2p_operator;
-- The team's writes are the team's to see (who, where, when, outcome).
GRANT SELECT ON c2p.claims TO c2p_operator;

-- An administrator (the database owner's account, like `c2p team init`) releases a claim stuck in
-- UNKNOWN (or PENDING, its holder gone) after reconciliation failed, with a reason kept beside it.
CREATE OR REPLACE FUNCTION c2p.claim_release(p_claim bigint, p_reason text) RETURNS boolean
LANGUAGE sql SET search_path = pg_catalog, c2p, pg_temp AS $$
  UPDATE c2p.claims
    SET state = 'RELEASED', finished_at = now(), released_by = session_user,
        release_reason = p_reason
    WHERE id = p_claim AND state IN ('UNKNOWN', 'PENDING')
  RETURNING true
$$;
REVOKE ALL ON FUNCTION c2p.claim_release FROM PUBLIC;
