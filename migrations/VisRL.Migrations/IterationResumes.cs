using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisRL.Platform.Persistence;

namespace VisRL.Migrations;

/// <summary>How often a failed iteration was resumed.</summary>
[DbContext(typeof(VisRLDbContext))]
[Migration("20261125000010_IterationResumes")]
public sealed class IterationResumes() : SqlMigration("0010_iteration_resumes");
