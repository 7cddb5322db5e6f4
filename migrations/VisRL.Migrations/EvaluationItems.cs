using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisRL.Platform.Persistence;

namespace VisRL.Migrations;

/// <summary>Each evaluated item's outcome, for paired comparisons of checkpoints.</summary>
[DbContext(typeof(VisRLDbContext))]
[Migration("20261122000004_EvaluationItems")]
public sealed class EvaluationItems() : SqlMigration("0004_evaluation_items");
