-- Every gage with its whole calibration history; the latest one per gage is
-- picked in the transform, the same way on every source database.
SELECT g.gage_id AS gage_id,
       g.name AS name,
       g.type AS type,
       g.location AS location,
       g.interval_days AS interval_days,
       c.calibrated_on AS calibrated_on,
       c.result AS result,
       c.technician AS technician
FROM gages g
LEFT JOIN gage_calibrations c ON c.gage_id = g.gage_id
ORDER BY g.gage_id, c.calibrated_on
