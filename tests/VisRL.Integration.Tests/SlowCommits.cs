using Npgsql;

namespace VisRL.Integration.Tests;

/// <summary>
/// Makes the commit that moves an iteration into Filtering slow (a deferred trigger that sleeps), long enough
/// for a test to break a link, or kill a process, in the middle of it.
/// </summary>
internal static class SlowCommits
{
    public static async Task IntoFilteringAsync(string connectionString, int seconds)
    {
        await using var setup = new NpgsqlConnection(connectionString);
        await setup.OpenAsync();
        await new NpgsqlCommand($"""
            CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep({seconds}); RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER slow_commit AFTER UPDATE ON iterations DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
                WHEN (NEW.state = 'Filtering' AND OLD.state <> 'Filtering') EXECUTE FUNCTION slow_commit();
            """, setup).ExecuteNonQueryAsync();
    }

    /// <summary>Whether such a commit is under way now.</summary>
    public static async Task<bool> UnderWayAsync(string connectionString)
    {
        // A connection of its own each time: a transaction sees pg_stat_activity as it was at its first look.
        await using var watcher = new NpgsqlConnection(connectionString);
        await watcher.OpenAsync();
        return (long)(await new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'COMMIT' AND wait_event = 'PgSleep' AND datname = current_database()",
            watcher).ExecuteScalarAsync())! > 0;
    }
}
