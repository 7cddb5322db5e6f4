using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisRL.Platform.Persistence;

namespace VisRL.Migrations;

/// <summary>Each request to resume a failed iteration, with the config changes it asked for: applied or refused.</summary>
[DbContext(typeof(VisRLDbContext))]
[Migration("20261125000011_IterationResumeRequests")]
public sealed class IterationResumeRequests() : SqlMigration("0011_iteration_resume_requests");
