namespace VisRL.Cli.Doctor;

internal enum CheckStatus { Ok, Info, Warning, Failed }

/// <summary>One doctor check: what was found, and for a failure, how to fix it.</summary>
internal sealed record CheckResult(string Name, CheckStatus Status, string Detail, string? Fix = null)
{
    public static CheckResult Ok(string name, string detail) => new(name, CheckStatus.Ok, detail);
    public static CheckResult Info(string name, string detail) => new(name, CheckStatus.Info, detail);
    public static CheckResult Warning(string name, string detail, string fix) => new(name, CheckStatus.Warning, detail, fix);
    public static CheckResult Failed(string name, string detail, string fix) => new(name, CheckStatus.Failed, detail, fix);
}
