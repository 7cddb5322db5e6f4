using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisRL.Platform.Persistence;

namespace VisRL.Migrations;

[DbContext(typeof(VisRLDbContext))]
[Migration("20261121000001_InitialSchema")]
public sealed class InitialSchema() : SqlMigration("0001_initial_schema");
