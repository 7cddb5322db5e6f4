using Microsoft.Extensions.Configuration;
using VisRL.DataGeneration;
using VisRL.Platform.Configuration;
using VisRL.Platform.Diagnostics;

namespace VisRL.Cli.Infrastructure;

/// <summary>
/// The CLI's settings: code defaults, then the running local stack's stack.env (so a stack on
/// other ports just works; none outside a checkout), then VISRL__ environment variables.
/// </summary>
internal static class CliSettings
{
    public static string StackName => Environment.GetEnvironmentVariable("VISRL_STACK_NAME") is { Length: > 0 } name ? name : "dev";

    public static IConfiguration Load()
    {
        var builder = new ConfigurationBuilder();
        var stackEnv = StackEnvPath(Environment.GetEnvironmentVariable("VISRL_STACK_DIR"), Repository.RootOrNull, StackName);
        if (File.Exists(stackEnv)) builder.AddInMemoryCollection(ReadEnvFile(stackEnv));
        builder.AddEnvironmentVariables(SettingKey.EnvironmentPrefix);
        return builder.Build();
    }

    /// <summary>The local stack's stack.env; null outside a checkout (the Docker image), where VISRL__ variables are all there is.</summary>
    internal static string? StackEnvPath(string? stackDir, string? repositoryRoot, string stackName) =>
        StackDirectory(stackDir, repositoryRoot, stackName) is { } dir ? Path.Combine(dir, "stack.env") : null;

    /// <summary>The local stack's folder, as infra/stack.sh and infra/services.sh find it: $VISRL_STACK_DIR, else .visrl/stack-NAME.</summary>
    internal static string? StackDirectory(string? stackDir, string? repositoryRoot, string stackName) =>
        !string.IsNullOrEmpty(stackDir) ? stackDir
        : repositoryRoot is null ? null
        : Path.Combine(repositoryRoot, ".visrl", $"stack-{stackName}");

    /// <summary>This process's local stack folder (null outside a checkout without $VISRL_STACK_DIR).</summary>
    public static string? StackDirectory() =>
        StackDirectory(Environment.GetEnvironmentVariable("VISRL_STACK_DIR"), Repository.RootOrNull, StackName);

    /// <summary>The replicas infra/services.sh started here: $VISRL_SERVICES_DIR, else the local stack's services/ (null when neither is known).</summary>
    public static ServiceReplicas? LocalReplicas() =>
        Environment.GetEnvironmentVariable("VISRL_SERVICES_DIR") is { Length: > 0 } dir ? new ServiceReplicas(dir)
        : StackDirectory() is { } stack ? new ServiceReplicas(Path.Combine(stack, "services"))
        : null;

    /// <summary>Every section the CLI or a service knows, for the unknown-variable check.</summary>
    public static SettingsCatalog Catalog()
    {
        var catalog = new SettingsCatalog();
        catalog.Add(SettingsExtensions.SectionOf<MessagingOptions>(), typeof(MessagingOptions));
        catalog.Add(SettingsExtensions.SectionOf<DatabaseOptions>(), typeof(DatabaseOptions));
        catalog.Add(SettingsExtensions.SectionOf<BlobOptions>(), typeof(BlobOptions));
        catalog.Add(SettingsExtensions.SectionOf<LoggingOptions>(), typeof(LoggingOptions));
        catalog.Add(SettingsExtensions.SectionOf<ServiceOptions>(), typeof(ServiceOptions));
        catalog.Add(SettingsExtensions.SectionOf<TorchOptions>(), typeof(TorchOptions));
        // The Sampler's, Critic's and Trainer's model cache: infra/services.sh and compose set it for them.
        catalog.Add(SettingsExtensions.SectionOf<ModelOptions>(), typeof(ModelOptions));
        return catalog;
    }

    /// <summary>KEY=VALUE lines with VISRL__A__B keys → "A:B" configuration keys.</summary>
    public static Dictionary<string, string?> ReadEnvFile(string path)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in File.ReadLines(path))
        {
            var eq = line.IndexOf('=');
            if (eq <= 0 || line.StartsWith('#')) continue;
            var key = line[..eq].Trim();
            if (!key.StartsWith(SettingKey.EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            values[key[SettingKey.EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = line[(eq + 1)..];
        }
        return values;
    }
}
