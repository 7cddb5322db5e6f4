namespace VisRL.Platform.Diagnostics;

/// <summary>
/// The service replicas infra/services.sh started on this machine, read from its folder:
/// pids/NAME-N.pid (the service's process, which its supervisor, in NAME-N.supervisor, starts again after a crash)
/// and logs/NAME-N.log, so that a command waiting on a service can say whether
/// it runs and where its log is, and a benchmark can find the processes it measures.
/// </summary>
public sealed class ServiceReplicas(string folder)
{
    public string Folder { get; } = folder;

    /// <summary>The PIDs of the replicas of <paramref name="service"/> that have a PID file (alive or not).</summary>
    public IReadOnlyList<int> Pids(string service)
    {
        var pids = Path.Combine(Folder, "pids");
        if (!Directory.Exists(pids)) return [];
        return Directory.GetFiles(pids, $"{service}-*.pid")
            .Select(f => int.TryParse(File.ReadAllText(f).Trim(), out var pid) ? pid : 0)
            .Where(pid => pid > 0).ToList();
    }

    public IReadOnlyList<int> AlivePids(string service) => Pids(service).Where(IsAlive).ToList();

    public IReadOnlyList<string> Logs(string service)
    {
        var logs = Path.Combine(Folder, "logs");
        return Directory.Exists(logs) ? Directory.GetFiles(logs, $"{service}-*.log").Order().ToList() : [];
    }

    /// <summary>Whether the process runs; a zombie (exited, not yet reaped) does not.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault();
            return state is not ('Z' or 'X' or default(char));
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
