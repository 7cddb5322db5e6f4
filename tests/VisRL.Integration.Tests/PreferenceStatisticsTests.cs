using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;

namespace VisRL.Integration.Tests;

/// <summary>
/// The preference statistics views of migration 0002 on a real PostgreSQL, over a small round seeded
/// by hand. Every expected number is worked out in the comments from the fixture below.
/// <code>
/// item family     GT box                   candidates (id: box → IoU with GT; s_r / s_b)
/// I1   color      [0.1, 0.1, 0.3, 0.3]     c1 [.1,.1,.3,.3] → 1     1.0/0.9   c2 [.6,.6,.8,.8] → 0   0.0/0.1
///                                          c3 [.15,.1,.35,.3] → .6  1.0/0.8   c4 unparsed, the judge failed (no scores)
/// I2   color      [0.5, 0.5, 0.7, 0.7]     c5 [.5,.5,.6,.6] → .25   0.9/0.85  c6 [.55,.5,.75,.7] → .6 0.1/0.2
///                                          c7 [.5,.5,.7,.7] → 1     0.9/0.95
/// I3   relation   [0, 0, 0.5, 0.5]         c8 0.5/0.5 (scored only by another judge)   c9 0.5/0.5   (all equal: no pair)
/// I4   relation   none                     c10 1.0/1.0   c11 0.0/0.0   c12 0.0/0.1 (no GT: every box negative)
/// I5   (none)     [0.2, 0.2, 0.4, 0.4]     no candidates (sampling failed)
/// I6   relation   [0.6, 0.6, 0.8, 0.8]     c13 [.6,.6,.8,.8] → 1    1.0/0.9   c14 [.1,.6,.3,.8] → 0  0.0/0.0
///                                          c15 [0,0,.2,.2] → 0      0.0/0.2
/// I7   count      [0.3, 0.3, 0.5, 0.5]     c16 [.6,0,.8,.2] → 0     1.0/0.9   c17 unparsed 0.0/0.0
///                                          c18 [.32,.3,.52,.5] → .036/.044 = .818  0.0/0.1
/// </code>
/// c1 also has a later score by "other-judge" (0.0/0.0) that the views must ignore: the iteration's judge wins.
/// Pair set "default" holds the pairs the filter rule makes with two pairs per item (winners by s_b
/// descending, losers by s_b ascending): I1 (c1,c2) (c3,c2); I2 (c7,c6) (c5,c6); I4 (c10,c11) (c10,c12);
/// I6 (c13,c14) (c13,c15); I7 (c16,c17) (c16,c18). Pair set "one-pair" holds I1 (c1,c2) only.
/// Round 2 has one batch [I1, I2] and nothing else yet.
/// </summary>
[Collection(StackCollection.Name)]
public class PreferenceStatisticsTests : IAsyncLifetime
{
    private static readonly Guid Run = Guid.NewGuid(), Dataset = Guid.NewGuid(), Round1 = Guid.NewGuid(), Round2 = Guid.NewGuid(),
        DefaultSet = Guid.NewGuid(), OnePairSet = Guid.NewGuid();

    private DatabaseOptions _database = null!;

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateMigratedDatabaseAsync();
        await SeedAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task RoundCountsCountItemsCandidatesScoresAndPairsPerPairSet()
    {
        var rows = await QueryAsync("SELECT * FROM round_counts ORDER BY iteration, pair_set");
        Assert.Equal(3, rows.Count);

        // Round 1: batches [I1..I4], [I5..I7] and the score batch [I1..I4] again → 7 distinct items.
        // 18 candidates on 6 items (I5 has none); c4 and c17 have no parsed box; c4's score has no s_r
        // or s_b → 17 scored, 17 box-scored. "default": I1, I2, I4, I6, I7 kept → 5 items, 10 pairs, 5/7.
        var def = rows[0];
        Assert.Equal("default", def["pair_set"]);
        Assert.Equal(1, def["iteration"]);
        Assert.Equal(7L, def["batch_items"]);
        Assert.Equal(18L, def["candidates"]);
        Assert.Equal(6L, def["items_with_candidates"]);
        Assert.Equal(2L, def["candidates_without_box"]);
        Assert.Equal(17L, def["scored_candidates"]);
        Assert.Equal(17L, def["box_scored_candidates"]);
        Assert.Equal(5L, def["items_kept"]);
        Assert.Equal(10L, def["pairs"]);
        Assert.Equal(5.0 / 7, (double)def["keep_rate"]!, 12);

        // "one-pair": the same round counts, 1 item kept, 1 pair, 1/7.
        var one = rows[1];
        Assert.Equal("one-pair", one["pair_set"]);
        Assert.Equal(18L, one["candidates"]);
        Assert.Equal(1L, one["items_kept"]);
        Assert.Equal(1L, one["pairs"]);
        Assert.Equal(1.0 / 7, (double)one["keep_rate"]!, 12);

        // Round 2: one batch [I1, I2], no pair set yet → a row with a NULL pair set and zeros.
        var round2 = rows[2];
        Assert.Equal(2, round2["iteration"]);
        Assert.Null(round2["pair_set"]);
        Assert.Equal(2L, round2["batch_items"]);
        Assert.Equal(0L, round2["candidates"]);
        Assert.Equal(0L, round2["scored_candidates"]);
        Assert.Equal(0L, round2["pairs"]);
        Assert.Equal(0.0, (double)round2["keep_rate"]!);
    }

    [Fact]
    public async Task ScoreSummaryHasMeanMinMaxOfWinnersAndLosers()
    {
        var rows = (await QueryAsync("SELECT * FROM round_score_summary WHERE pair_set = 'default'"))
            .ToDictionary(r => $"{r["side"]} {r["score"]}");
        Assert.Equal(4, rows.Count);
        // chosen s_r over the 10 pairs: c1 1, c3 1, c7 .9, c5 .9, c10 1 ×2, c13 1 ×2, c16 1 ×2 → 9.8/10.
        // (c1's "other-judge" 0.0 would make the min 0: it is ignored.)
        AssertSummary(rows["chosen s_r"], 10, 0.98, 0.9, 1.0);
        // chosen s_b: .9 + .8 + .95 + .85 + 1 + 1 + .9 + .9 + .9 + .9 = 9.1 → .91.
        AssertSummary(rows["chosen s_b"], 10, 0.91, 0.8, 1.0);
        // rejected s_r: c2 0 ×2, c6 .1 ×2, c11 0, c12 0, c14 0, c15 0, c17 0, c18 0 → .2/10.
        AssertSummary(rows["rejected s_r"], 10, 0.02, 0.0, 0.1);
        // rejected s_b: .1 + .1 + .2 + .2 + 0 + .1 + 0 + .2 + 0 + .1 = 1.0 → .1.
        AssertSummary(rows["rejected s_b"], 10, 0.1, 0.0, 0.2);
    }

    [Fact]
    public async Task ScoreDistributionListsTenBucketsPerSideAndScore()
    {
        Assert.Equal(80L, await ScalarAsync<long>("SELECT count(*) FROM round_score_distribution WHERE iteration = 1")); // 2 sets × 2 sides × 2 scores × 10
        var histogram = (await QueryAsync("SELECT side, score, bucket, low, high, n FROM round_score_distribution WHERE pair_set = 'default' ORDER BY side, score, bucket"))
            .GroupBy(r => $"{r["side"]} {r["score"]}")
            .ToDictionary(g => g.Key, g => g.Select(r => (long)r["n"]!).ToArray());
        // chosen s_b: .8 and .85 in [0.8, 0.9); the other 8 in [0.9, 1.0].
        Assert.Equal(new long[] { 0, 0, 0, 0, 0, 0, 0, 0, 2, 8 }, histogram["chosen s_b"]);
        // chosen s_r: .9 ×2 and 1.0 ×8, all in the last bucket (1.0 is counted there).
        Assert.Equal(new long[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 10 }, histogram["chosen s_r"]);
        // rejected s_b: 0 ×3 (c11, c14, c17), .1 ×4 (c2 ×2, c12, c18), .2 ×3 (c6 ×2, c15).
        Assert.Equal(new long[] { 3, 4, 3, 0, 0, 0, 0, 0, 0, 0 }, histogram["rejected s_b"]);
        // rejected s_r: 0 ×8, .1 ×2 (c6 twice).
        Assert.Equal(new long[] { 8, 2, 0, 0, 0, 0, 0, 0, 0, 0 }, histogram["rejected s_r"]);

        var first = (await QueryAsync("SELECT low, high FROM round_score_distribution WHERE pair_set = 'default' AND bucket = 3 LIMIT 1"))[0];
        Assert.Equal(0.3m, first["low"]);
        Assert.Equal(0.4m, first["high"]);
    }

    [Fact]
    public async Task FamilyAcceptanceIsKeptItemsOverSentItems()
    {
        var rows = (await QueryAsync("SELECT * FROM round_family_acceptance WHERE iteration = 1 AND pair_set = 'default'"))
            .ToDictionary(r => (string)r["family"]!);
        Assert.Equal(4, rows.Count);
        AssertFamily(rows["color"], 2, 2, 4, 1.0);          // I1 (2 pairs), I2 (2 pairs)
        AssertFamily(rows["relation"], 3, 2, 4, 2.0 / 3);   // I3 dropped (all equal); I4, I6 kept with 2 pairs each
        AssertFamily(rows["count"], 1, 1, 2, 1.0);          // I7
        AssertFamily(rows["(none)"], 1, 0, 0, 0.0);         // I5: no candidates, no family

        var onePair = (await QueryAsync("SELECT * FROM round_family_acceptance WHERE pair_set = 'one-pair' AND family = 'color'"))[0];
        AssertFamily(onePair, 2, 1, 1, 0.5);                // I1 only, of I1 and I2

        var round2 = await QueryAsync("SELECT * FROM round_family_acceptance WHERE iteration = 2");
        Assert.Single(round2);                               // I1, I2 are both "color"; no pair set yet
        Assert.Null(round2[0]["pair_set"]);
        AssertFamily(round2[0], 2, 0, 0, 0.0);
    }

    [Fact]
    public async Task PairsAreSortedIntoBoxQuadrantsAgainstTheHiddenGtBox()
    {
        var hits = (await QueryAsync("SELECT * FROM pair_box_hits WHERE pair_set = 'default'"))
            .ToDictionary(r => $"c{r["chosen_candidate_id"]}>c{r["rejected_candidate_id"]}");
        Assert.Equal(10, hits.Count);
        // IoU > 0.5 is positive; NULL IoU (no parsed box, no GT box) is negative.
        AssertHit(hits["c1>c2"], 1.0, 0.0, true, false);
        AssertHit(hits["c3>c2"], 0.6, 0.0, true, false);      // 0.15·0.2 / (0.04 + 0.04 − 0.03)
        AssertHit(hits["c7>c6"], 1.0, 0.6, true, true);
        AssertHit(hits["c5>c6"], 0.25, 0.6, false, true);     // 0.01 / 0.04
        AssertHit(hits["c10>c11"], null, null, false, false); // I4 has no GT box
        AssertHit(hits["c10>c12"], null, null, false, false);
        AssertHit(hits["c13>c14"], 1.0, 0.0, true, false);
        AssertHit(hits["c13>c15"], 1.0, 0.0, true, false);
        AssertHit(hits["c16>c17"], 0.0, null, false, false);  // c17's box did not parse
        AssertHit(hits["c16>c18"], 0.0, 0.036 / 0.044, false, true);

        var quadrants = (await QueryAsync("SELECT * FROM pair_box_quadrants ORDER BY pair_set")).ToDictionary(r => (string)r["pair_set"]!);
        Assert.Equal(2, quadrants.Count); // round 2 has no pair set
        // default: WP-LP c7>c6; WP-LN c1>c2, c3>c2, c13>c14, c13>c15; WN-LP c5>c6, c16>c18; WN-LN c10>c11, c10>c12, c16>c17.
        var def = quadrants["default"];
        Assert.Equal(10L, def["pairs"]);
        Assert.Equal((1L, 4L, 2L, 3L), ((long)def["wp_lp"]!, (long)def["wp_ln"]!, (long)def["wn_lp"]!, (long)def["wn_ln"]!));
        Assert.Equal(0.1, (double)def["wp_lp_share"]!, 12);
        Assert.Equal(0.4, (double)def["wp_ln_share"]!, 12);
        Assert.Equal(0.2, (double)def["wn_lp_share"]!, 12);
        Assert.Equal(0.3, (double)def["wn_ln_share"]!, 12);
        var one = quadrants["one-pair"];
        Assert.Equal((1L, 0L, 1L, 0L, 0L), ((long)one["pairs"]!, (long)one["wp_lp"]!, (long)one["wp_ln"]!, (long)one["wn_lp"]!, (long)one["wn_ln"]!));
        Assert.Equal(1.0, (double)one["wp_ln_share"]!);
    }

    [Fact]
    public async Task TheIouFunctionFollowsTorchvision()
    {
        Assert.Equal(1.0 / 7, await ScalarAsync<double>("SELECT visrl_box_iou(0, 0, 2, 2, 1, 1, 3, 3)"), 12); // 1 / (4 + 4 − 1)
        Assert.Equal(0.0, await ScalarAsync<double>("SELECT visrl_box_iou(0, 0, 1, 1, 1, 0, 2, 1)"));         // touching edges
        Assert.Equal(0.0, await ScalarAsync<double>("SELECT visrl_box_iou(0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5)")); // 0/0: 0, not NaN
        Assert.Equal(DBNull.Value, await ScalarAsync<object>("SELECT visrl_box_iou(NULL, 0, 1, 1, 0, 0, 1, 1)"));
    }

    [Fact]
    public async Task TheMigrationRollsBackAndForth()
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("20261121000001_InitialSchema");
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM information_schema.views WHERE table_schema = 'public'"));
        Assert.Equal(18L, await ScalarAsync<long>("SELECT count(*) FROM candidates")); // no table was touched
        await db.Database.MigrateAsync();
        Assert.Equal(10L, await ScalarAsync<long>("SELECT pairs FROM round_counts WHERE pair_set = 'default'"));
    }

    private static void AssertSummary(Dictionary<string, object?> row, long n, double mean, double min, double max)
    {
        Assert.Equal(n, row["n"]);
        Assert.Equal(0L, row["missing"]);
        Assert.Equal(mean, (double)row["mean"]!, 12);
        Assert.Equal(min, (double)row["min"]!, 12);
        Assert.Equal(max, (double)row["max"]!, 12);
    }

    private static void AssertFamily(Dictionary<string, object?> row, long items, long kept, long pairs, double rate)
    {
        Assert.Equal(items, row["items"]);
        Assert.Equal(kept, row["items_kept"]);
        Assert.Equal(pairs, row["pairs"]);
        Assert.Equal(rate, (double)row["acceptance_rate"]!, 12);
    }

    private static void AssertHit(Dictionary<string, object?> row, double? chosenIou, double? rejectedIou, bool chosenPositive, bool rejectedPositive)
    {
        // Boxes are stored as real (float4): IoUs agree to float precision.
        AssertIou(chosenIou, row["chosen_iou"]);
        AssertIou(rejectedIou, row["rejected_iou"]);
        Assert.Equal(chosenPositive, row["chosen_positive"]);
        Assert.Equal(rejectedPositive, row["rejected_positive"]);
    }

    private static void AssertIou(double? expected, object? actual)
    {
        if (expected is null) Assert.Null(actual);
        else Assert.Equal(expected.Value, (double)actual!, 5);
    }

    private async Task SeedAsync()
    {
        var sql = new System.Text.StringBuilder($$"""
            INSERT INTO datasets (id, name, source, config_json, created_at) VALUES ('{{Dataset}}', 'stats-fixture', 'synthetic', '{}', now());
            INSERT INTO runs (id, name, config_json, planned_iterations, status, created_at, updated_at)
                VALUES ('{{Run}}', 'stats', '{}', 2, 'running', now(), now());
            INSERT INTO iterations (id, run_id, number, dataset_id, policy_checkpoint, judge_checkpoint, judge_id, config_json, state, item_count, batch_count, created_at, updated_at)
                VALUES ('{{Round1}}', '{{Run}}', 1, '{{Dataset}}', 'policy-0', 'judge-1', 'judge-1', '{}', 'Completed', 7, 3, now(), now()),
                       ('{{Round2}}', '{{Run}}', 2, '{{Dataset}}', 'policy-1', 'judge-1', 'judge-1', '{}', 'Sampling', 2, 1, now(), now());
            INSERT INTO batches (id, iteration_id, stage, ordinal, item_ids, status, attempts) VALUES
                (gen_random_uuid(), '{{Round1}}', 'sample', 0, '{1,2,3,4}', 'done', 1),
                (gen_random_uuid(), '{{Round1}}', 'sample', 1, '{5,6,7}', 'done', 1),
                (gen_random_uuid(), '{{Round1}}', 'score', 0, '{1,2,3,4}', 'done', 1),
                (gen_random_uuid(), '{{Round2}}', 'sample', 0, '{1,2}', 'dispatched', 1);
            INSERT INTO pair_sets (id, iteration_id, name, thresholds_json, item_count, pair_count, created_at) VALUES
                ('{{DefaultSet}}', '{{Round1}}', 'default', '{"pairsPerItem": 2}', 5, 10, now()),
                ('{{OnePairSet}}', '{{Round1}}', 'one-pair', '{}', 1, 1, now());

            """);

        // id, family, GT box
        (int Id, string? Family, string Gt)[] items =
        [
            (1, "color", "0.1, 0.1, 0.3, 0.3"), (2, "color", "0.5, 0.5, 0.7, 0.7"), (3, "relation", "0, 0, 0.5, 0.5"),
            (4, "relation", "NULL, NULL, NULL, NULL"), (5, null, "0.2, 0.2, 0.4, 0.4"), (6, "relation", "0.6, 0.6, 0.8, 0.8"),
            (7, "count", "0.3, 0.3, 0.5, 0.5"),
        ];
        foreach (var (id, family, gt) in items)
            sql.AppendLine($"""
                INSERT INTO items (id, dataset_id, split, ordinal, image_blob_key, image_width, image_height, question, standard_answer, family, gt_x1, gt_y1, gt_x2, gt_y2)
                    VALUES ({id}, '{Dataset}', 'rl', {id - 1}, 'fixture/{id}.png', 64, 64, 'What character?', 'A', {(family is null ? "NULL" : $"'{family}'")}, {gt});
                """);

        // id, item, attempt, kind, box (null: did not parse), s_r, s_b by judge-1 (null: no score)
        (int Id, int Item, int Attempt, string Kind, string? Box, string Sr, string Sb)[] candidates =
        [
            (1, 1, 0, "own", "0.1, 0.1, 0.3, 0.3", "1.0", "0.9"),
            (2, 1, 0, "diverse", "0.6, 0.6, 0.8, 0.8", "0.0", "0.1"),
            (3, 1, 1, "own", "0.15, 0.1, 0.35, 0.3", "1.0", "0.8"),
            (4, 1, 1, "diverse", null, "NULL", "NULL"),
            (5, 2, 0, "own", "0.5, 0.5, 0.6, 0.6", "0.9", "0.85"),
            (6, 2, 0, "diverse", "0.55, 0.5, 0.75, 0.7", "0.1", "0.2"),
            (7, 2, 1, "own", "0.5, 0.5, 0.7, 0.7", "0.9", "0.95"),
            (8, 3, 0, "own", "0, 0, 0.5, 0.5", "-", "-"),
            (9, 3, 0, "diverse", "0.5, 0.5, 1, 1", "0.5", "0.5"),
            (10, 4, 0, "own", "0.2, 0.2, 0.4, 0.4", "1.0", "1.0"),
            (11, 4, 0, "diverse", "0.6, 0.6, 0.9, 0.9", "0.0", "0.0"),
            (12, 4, 1, "diverse", "0, 0.6, 0.2, 0.8", "0.0", "0.1"),
            (13, 6, 0, "own", "0.6, 0.6, 0.8, 0.8", "1.0", "0.9"),
            (14, 6, 0, "diverse", "0.1, 0.6, 0.3, 0.8", "0.0", "0.0"),
            (15, 6, 1, "diverse", "0, 0, 0.2, 0.2", "0.0", "0.2"),
            (16, 7, 0, "own", "0.6, 0, 0.8, 0.2", "1.0", "0.9"),
            (17, 7, 0, "diverse", null, "0.0", "0.0"),
            (18, 7, 1, "diverse", "0.32, 0.3, 0.52, 0.5", "0.0", "0.1"),
        ];
        foreach (var (id, item, attempt, kind, box, sr, sb) in candidates)
        {
            sql.AppendLine($"""
                INSERT INTO candidates (id, iteration_id, item_id, attempt, kind, box_text, x1, y1, x2, y2, box_parse_error, answer, created_at)
                    VALUES ({id}, '{Round1}', {item}, {attempt}, '{kind}', '{(box is null ? "[0.3, 0.3" : $"[{box}]")}', {box ?? "NULL, NULL, NULL, NULL"},
                            {(box is null ? "'unterminated list'" : "NULL")}, 'A', now());
                """);
            if (sr != "-")
                sql.AppendLine($"""
                    INSERT INTO scores (candidate_id, judge_id, answer_score, box_score, error, created_at)
                        VALUES ({id}, 'judge-1', {sr}, {sb}, {(sr == "NULL" ? "'reply is not JSON'" : "NULL")}, now());
                    """);
        }
        sql.AppendLine("""
            INSERT INTO scores (candidate_id, judge_id, answer_score, box_score, created_at) VALUES
                (1, 'other-judge', 0.0, 0.0, now() + interval '1 minute'),
                (8, 'other-judge', 0.5, 0.5, now());
            """);

        (Guid Set, int Item, int Ordinal, int Chosen, int Rejected)[] pairs =
        [
            (DefaultSet, 1, 0, 1, 2), (DefaultSet, 1, 1, 3, 2), (DefaultSet, 2, 0, 7, 6), (DefaultSet, 2, 1, 5, 6),
            (DefaultSet, 4, 0, 10, 11), (DefaultSet, 4, 1, 10, 12), (DefaultSet, 6, 0, 13, 14), (DefaultSet, 6, 1, 13, 15),
            (DefaultSet, 7, 0, 16, 17), (DefaultSet, 7, 1, 16, 18), (OnePairSet, 1, 0, 1, 2),
        ];
        foreach (var (set, item, ordinal, chosen, rejected) in pairs)
            sql.AppendLine($"INSERT INTO pairs (pair_set_id, item_id, ordinal, chosen_candidate_id, rejected_candidate_id) VALUES ('{set}', {item}, {ordinal}, {chosen}, {rejected});");

        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.ToString(), connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<List<Dictionary<string, object?>>> QueryAsync(string sql)
    {
        var rows = new List<Dictionary<string, object?>>();
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>();
            for (int i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
