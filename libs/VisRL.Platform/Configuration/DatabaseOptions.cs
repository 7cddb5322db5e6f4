using System.ComponentModel.DataAnnotations;

namespace VisRL.Platform.Configuration;

/// <summary>PostgreSQL connection and start-up behaviour.</summary>
[Settings("Database")]
public sealed class DatabaseOptions
{
    /// <summary>The local stack's database; any other value comes from the environment.</summary>
    [Required] public string ConnectionString { get; set; } =
        "Host=127.0.0.1;Port=5432;Database=visrl;Username=visrl;Password=visrl";

    /// <summary>Apply pending migrations when the service starts.</summary>
    public bool MigrateOnStart { get; set; }

    /// <summary>Retries of a transient failure (connection drop, deadlock) before an operation fails.</summary>
    [Range(0, 20)] public int MaxRetryCount { get; set; } = 5;

    [Range(1, 600)] public int StartupTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// The same database with EF's retries off, for code that runs its own transactions: EF would replay a failed
    /// one in place, while the caller's own retry replays it whole.
    /// </summary>
    public DatabaseOptions WithoutRetries() => new() { ConnectionString = ConnectionString, MaxRetryCount = 0 };
}
