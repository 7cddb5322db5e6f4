-- 0002 down: drop the preference statistics views and the IoU function (no table is touched).
DROP VIEW IF EXISTS pair_box_quadrants;
DROP VIEW IF EXISTS pair_box_hits;
DROP VIEW IF EXISTS round_family_acceptance;
DROP VIEW IF EXISTS round_score_distribution;
DROP VIEW IF EXISTS round_score_summary;
DROP VIEW IF EXISTS round_counts;
DROP VIEW IF EXISTS candidate_scores;
DROP FUNCTION IF EXISTS visrl_box_iou(double precision, double precision, double precision, double precision,
    double precision, double precision, double precision, double precision);
