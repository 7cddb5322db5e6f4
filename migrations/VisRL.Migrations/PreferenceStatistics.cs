using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisRL.Platform.Persistence;

namespace VisRL.Migrations;

/// <summary>Read-only SQL views over candidates, scores and pairs: per-round counts, score
/// distributions, acceptance by question family and the WP-LP / WP-LN / WN-LP / WN-LN table.</summary>
[DbContext(typeof(VisRLDbContext))]
[Migration("20261121000002_PreferenceStatistics")]
public sealed class PreferenceStatistics() : SqlMigration("0002_preference_statistics");
