-- C2P Care team store, version 2: the auditors check every chain whole (`c2p audit verify
-- --team`), also across months that retention took offline.

-- The last record of each chain in each month taken offline by retention: the first record
-- still online links to it, so a chain stays continuous.
CREATE TABLE IF NOT EXISTS c2p.anchors (
  chain_id text NOT NULL,
  month date NOT NULL,
  seq bigint NOT NULL,
  hash text NOT NULL,
  PRIMARY KEY (chain_id, month)
);
SELECT c2p.append_only('c2p.anchors');
REVOKE ALL ON c2p.anchors FROM PUBLIC;
GRANT SELECT ON c2p.anchors TO c2p_auditor;

-- Recomputing a record's hash is how an auditor checks the centre's copy.
GRANT EXECUTE ON FUNCTION c2p.field, c2p.record_hash TO c2p_auditor;
