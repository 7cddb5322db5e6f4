using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisRL.Platform.Persistence;

namespace VisRL.Migrations;

/// <summary>A round's judge id (its scores' key) and when a worker began each batch.</summary>
[DbContext(typeof(VisRLDbContext))]
[Migration("20261124000007_RoundJudgeAndBatchStart")]
public sealed class RoundJudgeAndBatchStart() : SqlMigration("0007_round_judge_and_batch_start");
