-- Totals per account in whole cents: ROUND(x * 100) is exact on PostgreSQL and
-- MariaDB (DECIMAL) and on SQLite (sums of integral floats below 2^53).
SELECT a.code AS code,
       a.name AS name,
       a.type AS type,
       SUM(ROUND(e.debit * 100)) AS debit_cents,
       SUM(ROUND(e.credit * 100)) AS credit_cents
FROM gl_entries e
JOIN gl_accounts a ON a.account_id = e.account_id
WHERE e.period_id >= :period_from
  AND e.period_id <= :period_to
GROUP BY a.code, a.name, a.type
ORDER BY a.code
