-- Totals per account in whole cents: ROUND(x * 100) is exact on PostgreSQL and
-- MariaDB (DECIMAL) and on SQLite (sums of integral floats below 2^53).
-- Aggregating by account_id first lets the database walk the covering index
-- ix_gl_entries_account_period in order (no sort of the ledger); the account
-- names are joined to the 26 totals afterwards.
SELECT a.code AS code,
       a.name AS name,
       a.type AS type,
       t.debit_cents AS debit_cents,
       t.credit_cents AS credit_cents
FROM (
    SELECT e.account_id AS account_id,
           SUM(ROUND(e.debit * 100)) AS debit_cents,
           SUM(ROUND(e.credit * 100)) AS credit_cents
    FROM gl_entries e
    WHERE e.period_id >= :period_from
      AND e.period_id <= :period_to
    GROUP BY e.account_id
) t
JOIN gl_accounts a ON a.account_id = t.account_id
ORDER BY a.code
