using System.Globalization;

namespace VisRL.Platform.Diagnostics;

/// <summary>
/// CPU time (user + system) of every process on this Linux machine, grouped by the workflow's parts:
/// a benchmark takes one snapshot before and one after a round and sees where the cores went.
/// </summary>
public sealed class ProcessCpu
{
    /// <summary>Linux reports /proc times in USER_HZ ticks, 100 per second on every mainstream build.</summary>
    private const double TicksPerSecond = 100;

    public const string ThisProcess = "this process", Other = "other";

    private static readonly string[] Services = ["Sampler", "Critic", "Orchestrator", "Filter", "Trainer"];

    /// <summary>Every component <see cref="Since"/> may report, services first, then the stack's servers.</summary>
    public static IReadOnlyList<string> Components { get; } = [.. Services, "RabbitMQ", "PostgreSQL", "Azurite", ThisProcess, Other];

    private readonly Dictionary<int, (string Component, long Ticks)> _byPid;

    private ProcessCpu(Dictionary<int, (string, long)> byPid) => _byPid = byPid;

    /// <summary>Every process now; empty where /proc is missing (not Linux).</summary>
    public static ProcessCpu Take()
    {
        var byPid = new Dictionary<int, (string, long)>();
        if (!Directory.Exists("/proc")) return new ProcessCpu(byPid);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var ticks = ParseTicks(File.ReadAllText(Path.Combine(directory, "stat")));
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (ticks is { } t) byPid[pid] = (pid == Environment.ProcessId ? ThisProcess : Component(commandLine), t);
            }
            catch (IOException) { } // the process ended meanwhile
            catch (UnauthorizedAccessException) { }
        }
        return new ProcessCpu(byPid);
    }

    /// <summary>CPU seconds per component since <paramref name="earlier"/>; a process started meanwhile counts from zero, one that ended is lost.</summary>
    public Dictionary<string, double> Since(ProcessCpu earlier)
    {
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (pid, (component, ticks)) in _byPid)
        {
            long before = earlier._byPid.TryGetValue(pid, out var then) && then.Component == component ? then.Ticks : 0;
            seconds[component] = seconds.GetValueOrDefault(component) + (ticks - before) / TicksPerSecond;
        }
        return seconds;
    }

    /// <summary>utime + stime of a /proc/PID/stat line, in ticks; null when the line does not parse.</summary>
    public static long? ParseTicks(string stat)
    {
        // The command name in field 2 may hold spaces and parentheses: count the fields after its last ')'.
        int end = stat.LastIndexOf(')');
        if (end < 0) return null;
        var fields = stat[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        const int utime = 11, stime = 12; // fields 14 and 15 of proc(5), counted from field 3
        return fields.Length > stime
            && long.TryParse(fields[utime], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            && long.TryParse(fields[stime], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
            ? user + system
            : null;
    }

    /// <summary>The part of the workflow a command line belongs to: a service, a stack server, or <see cref="Other"/>.</summary>
    public static string Component(string commandLine)
    {
        foreach (var service in Services)
            if (commandLine.Contains($"VisRL.{service}.dll", StringComparison.Ordinal)) return service;
        if (commandLine.Contains("azurite", StringComparison.Ordinal)) return "Azurite";
        var program = Path.GetFileName(commandLine.Split(' ', 2)[0]);
        if (program is "beam.smp" or "epmd" or "erl_child_setup" or "inet_gethost") return "RabbitMQ";
        if (program == "postgres" || commandLine.StartsWith("postgres:", StringComparison.Ordinal)) return "PostgreSQL";
        return Other;
    }
}
