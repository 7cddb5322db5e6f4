using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisRL.Platform.Persistence;

namespace VisRL.Migrations;

/// <summary>Iterations record the pair set they train on and the DPO stages' checkpoints.</summary>
[DbContext(typeof(VisRLDbContext))]
[Migration("20261121000003_IterationTraining")]
public sealed class IterationTraining() : SqlMigration("0003_iteration_training");
