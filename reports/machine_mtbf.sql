-- Every machine with its stops in the range; machines with no stops still
-- appear once (with NULL stop columns) so they get a row per month.
SELECT m.machine_id AS machine_id,
       m.name AS machine,
       m.line AS line,
       d.started_at AS started_at,
       d.ended_at AS ended_at,
       d.reason AS reason,
       d.is_failure AS is_failure
FROM machines m
LEFT JOIN machine_downtime d
  ON d.machine_id = m.machine_id
 AND d.started_at >= :date_from
 AND d.started_at < :date_to
ORDER BY m.machine_id, d.started_at
