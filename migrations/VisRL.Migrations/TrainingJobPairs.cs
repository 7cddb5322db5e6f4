using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisRL.Platform.Persistence;

namespace VisRL.Migrations;

/// <summary>The pairs each DPO job trains on, fixed at its first start.</summary>
[DbContext(typeof(VisRLDbContext))]
[Migration("20261124000008_TrainingJobPairs")]
public sealed class TrainingJobPairs() : SqlMigration("0008_training_job_pairs");
