-- 0004 down: the per-item outcomes.
DROP TABLE evaluation_items;
