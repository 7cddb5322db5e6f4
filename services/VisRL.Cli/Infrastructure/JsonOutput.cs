using System.CommandLine;
using System.Text.Json;

namespace VisRL.Cli.Infrastructure;

/// <summary>`--json`: what a command prints for scripts, written the same way by every command (camelCase, indented).</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerOptions.Web) { WriteIndented = true };

    public static Option<bool> Option(string description) => new("--json") { Description = description };

    public static void Print(object value) => Console.WriteLine(JsonSerializer.Serialize(value, Options));
}
