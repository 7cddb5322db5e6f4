namespace VisRL.Platform.Configuration;

/// <summary>Spells a configuration path the two ways users meet it: appsettings and environment.</summary>
public static class SettingKey
{
    public const string EnvironmentPrefix = "VISRL__";

    /// <summary>"Database:ConnectionString" → "VISRL__DATABASE__CONNECTIONSTRING".</summary>
    public static string ToEnvironment(string path) =>
        EnvironmentPrefix + path.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();

    /// <summary>"Database:ConnectionString (VISRL__DATABASE__CONNECTIONSTRING)".</summary>
    public static string Describe(string path) => $"{path} ({ToEnvironment(path)})";
}
