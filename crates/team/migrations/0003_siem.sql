-- C2P Care team store, version 3: the SIEM feed (`c2p team siem`) reads every record and alert
-- and keeps its own cursor here, so that a restarted feed goes on where the last one stopped.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'c2p_siem') THEN
    CREATE ROLE c2p_siem NOLOGIN;
  END IF;
END
$$;

-- Per feed and chain, the last record the feed delivered (a chain's records are gapless and
-- committed in order, so nothing committed later can fall behind the cursor).
CREATE TABLE IF NOT EXISTS c2p.siem_cursors (
  feed text NOT NULL,
  chain_id text NOT NULL,
  last_seq bigint NOT NULL,
  PRIMARY KEY (feed, chain_id)
);
-- Per feed, the alerts it delivered.
CREATE TABLE IF NOT EXISTS c2p.siem_alerts_sent (
  feed text NOT NULL,
  alert_id bigint NOT NULL,
  PRIMARY KEY (feed, alert_id)
);
REVOKE ALL ON c2p.siem_cursors, c2p.siem_alerts_sent FROM PUBLIC;

GRANT USAGE ON SCHEMA c2p TO c2p_siem;
GRANT SELECT ON c2p.records, c2p.chains, c2p.alerts TO c2p_siem;
GRANT SELECT, INSERT, UPDATE ON c2p.siem_cursors TO c2p_siem;
GRANT SELECT, INSERT ON c2p.siem_alerts_sent TO c2p_siem;
DROP POLICY IF EXISTS feed_reads ON c2p.records;
CREATE POLICY feed_reads ON c2p.records FOR SELECT TO c2p_siem USING (true);
DROP POLICY IF EXISTS feed_reads ON c2p.chains;
CREATE POLICY feed_reads ON c2p.chains FOR SELECT TO c2p_siem USING (true);
