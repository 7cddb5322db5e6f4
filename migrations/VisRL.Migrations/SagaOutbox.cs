using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using VisRL.Platform.Persistence;

namespace VisRL.Migrations;

/// <summary>The messages saga transitions committed and the broker has not had yet.</summary>
[DbContext(typeof(VisRLDbContext))]
[Migration("20261124000009_SagaOutbox")]
public sealed class SagaOutbox() : SqlMigration("0009_saga_outbox");
