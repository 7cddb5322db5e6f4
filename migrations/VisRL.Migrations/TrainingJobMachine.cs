using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisRL.Platform.Persistence;

namespace VisRL.Migrations;

/// <summary>Where each training job ran, beside its config.</summary>
[DbContext(typeof(VisRLDbContext))]
[Migration("20261122000005_TrainingMachine")]
public sealed class TrainingJobMachine() : SqlMigration("0005_training_machine");
