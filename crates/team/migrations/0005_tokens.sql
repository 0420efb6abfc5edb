-- C2P Care team store, version 5: tokens. A write on a card's token (a D1 digital card:
-- suspend, resume, delete) claims the token, naming its card and consumer: it excludes another
-- write on the same token, a write on its card (a card's opt-out deletes its Click to Pay
-- token), and a write on its consumer; writes on two tokens of one card do not exclude each
-- other. A fraud batch may hold tokens as items.

ALTER TABLE c2p.claims DROP CONSTRAINT IF EXISTS claims_target_kind_check;
ALTER TABLE c2p.claims ADD CONSTRAINT claims_target_kind_check
  CHECK (target_kind IN ('card', 'consumer', 'token'));
-- The card a token belongs to (a token's write only).
ALTER TABLE c2p.claims ADD COLUMN IF NOT EXISTS card text
  CHECK (card ~ '^[A-Za-z0-9_-]{1,48}$');
-- A card's open token writes, found without reading every claim.
CREATE INDEX IF NOT EXISTS claims_card_open ON c2p.claims (environment, card)
  WHERE state IN ('SENDING', 'PENDING', 'UNKNOWN');
ALTER TABLE c2p.batch_items DROP CONSTRAINT IF EXISTS batch_items_kind_check;
ALTER TABLE c2p.batch_items ADD CONSTRAINT batch_items_kind_check
  CHECK (kind IN ('CARD', 'CONSUMER', 'TOKEN'));

-- Version 4's claim, which knew no token, gives way to one that does.
DROP FUNCTION IF EXISTS c2p.claim(text, text, text, text, text, text, text, integer, integer,
                                  text, integer);

-- Claims `p_target` for a write of `p_kind` as version 4's did; a token's write (`p_target_kind`
-- 'token') names its card in `p_card` (every other write leaves it NULL).
CREATE OR REPLACE FUNCTION c2p.claim(
  p_environment text, p_kind text, p_target_kind text, p_target text, p_consumer text,
  p_workstation text, p_correlation_id text, p_seconds integer, p_done_within integer,
  p_batch text, p_seq integer, p_card text
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
  IF p_target_kind NOT IN ('card', 'consumer', 'token') OR p_target !~ '^[A-Za-z0-9_-]{1,64}$'
     OR p_consumer !~ '^[A-Za-z0-9_-]{1,64}$' OR length(p_environment) > 512
     OR (p_target_kind = 'consumer' AND p_consumer <> p_target)
     OR ((p_target_kind = 'token') <> (p_card IS NOT NULL))
     OR p_card !~ '^[A-Za-z0-9_-]{1,48}$' THEN
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
  -- A card's write and its tokens' writes may name different consumers: one lock on the card
  -- too, so that two of them are decided one after the other.
  IF p_target_kind IN ('card', 'token') THEN
    PERFORM pg_advisory_xact_lock(hashtext(p_environment),
                                  hashtext(coalesce(p_card, p_target)));
  END IF;
  -- Leases that ran out: the write may or may not have left (UNKNOWN, reconciled from D1).
  UPDATE c2p.claims c SET state = 'UNKNOWN'
    WHERE c.environment = p_environment AND c.consumer = p_consumer
      AND c.state = 'SENDING' AND c.lease_until < now();
  -- The same target, the consumer of this card or token, a card or token of this consumer,
  -- the card of this token, or a token of this card.
  SELECT * INTO held FROM c2p.claims
    WHERE environment = p_environment AND state IN ('SENDING', 'PENDING', 'UNKNOWN')
      AND (target = p_target
           OR (consumer = p_consumer AND (target_kind = 'consumer' OR p_target_kind = 'consumer'))
           -- Whatever consumer each names: a card's write and its tokens' exclude each other.
           OR (p_target_kind = 'token' AND target_kind = 'card' AND target = p_card)
           OR (p_target_kind = 'card' AND target_kind = 'token' AND card = p_target))
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
  INSERT INTO c2p.claims (environment, kind, target_kind, target, consumer, card, state, login,
                          operator, workstation, correlation_id, lease_until)
  VALUES (p_environment, p_kind, p_target_kind, p_target, p_consumer, p_card, 'SENDING', session_user,
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

REVOKE ALL ON FUNCTION c2p.claim FROM PUBLIC;
GRANT EXECUTE ON FUNCTION c2p.claim TO c2p_operator;
