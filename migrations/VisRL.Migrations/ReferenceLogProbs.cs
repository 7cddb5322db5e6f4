using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisRL.Platform.Persistence;

namespace VisRL.Migrations;

/// <summary>Each DPO job's reference log-probs, stored once.</summary>
[DbContext(typeof(VisRLDbContext))]
[Migration("20261123000006_ReferenceLogProbs")]
public sealed class ReferenceLogProbs() : SqlMigration("0006_reference_log_probs");
