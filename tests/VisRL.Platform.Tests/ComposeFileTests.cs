using System.Diagnostics;
using System.Text.RegularExpressions;

namespace VisRL.Platform.Tests;

/// <summary>docker-compose.yml is checked by Debian's docker-compose 1.29.2 (infra/validate-compose.sh).</summary>
public class ComposeFileTests
{
    private static readonly string ComposeFile = Path.Combine(RepositoryPaths.Root, "docker-compose.yml");

    private static (int ExitCode, string Output) Validate(string file)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryPaths.Root, "infra", "validate-compose.sh"), file])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error);
    }

    [Fact]
    public void TheProjectsComposeFileIsValid()
    {
        var (exitCode, output) = Validate(ComposeFile);
        Assert.True(exitCode == 0, output);
    }

    [Theory]
    [InlineData("condition: service_healthy", "condition: service_sometimes", "invalid type")]
    [InlineData("  postgres:\n    image: postgres:15", "  postgres:\n    image: postgres:15\n    depends_on: [ghost]", "ghost")]
    [InlineData("retries: 10", "retries: ten", "retries")]
    public void AnInvalidComposeFileIsRejectedWithItsReason(string from, string to, string reason)
    {
        var text = File.ReadAllText(ComposeFile);
        Assert.Contains(from, text);
        var broken = Path.Combine(Path.GetTempPath(), $"compose-{Guid.NewGuid():N}.yml");
        File.WriteAllText(broken, text.Replace(from, to));
        try
        {
            var (exitCode, output) = Validate(broken);
            Assert.NotEqual(0, exitCode);
            Assert.Contains(reason, output);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Fact]
    public void EveryServiceHasAnImageAndEveryDockerfileExists()
    {
        var text = File.ReadAllText(ComposeFile);
        foreach (var service in Directory.GetDirectories(Path.Combine(RepositoryPaths.Root, "services"))
                     .Select(Path.GetFileName).Where(n => n != "VisRL.Cli"))
        {
            var name = service!["VisRL.".Length..].ToLowerInvariant();
            Assert.Matches(new Regex($"^  {name}:$", RegexOptions.Multiline), text);
        }
        foreach (Match m in Regex.Matches(text, @"dockerfile: (\S+?)[,} ]"))
            Assert.True(File.Exists(Path.Combine(RepositoryPaths.Root, m.Groups[1].Value)), $"missing {m.Groups[1].Value}");
        Assert.Contains("capabilities: [gpu]", text);
    }
}

/// <summary>The Docker build context leaves out local state and build output (every Dockerfile does `COPY . .`).</summary>
public class DockerIgnoreTests
{
    private static readonly string[] Patterns = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore"))
        .Select(l => l.Trim().TrimEnd('/')).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    [Theory]
    [InlineData(".visrl")]
    [InlineData("**/bin")]
    [InlineData("**/obj")]
    [InlineData("artifacts")]
    [InlineData("libs/VisRL.Torch/native/build*")]
    public void LocalStateAndBuildOutputAreLeftOut(string pattern) => Assert.Contains(pattern, Patterns);

    [Fact]
    public void EveryBuildOutputGitIgnoresIsLeftOutToo()
    {
        foreach (var line in File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".gitignore")).Select(l => l.Trim().TrimEnd('/')).Where(l => l.Length > 0 && !l.StartsWith('#')))
            Assert.True(Patterns.Contains(line) || Patterns.Contains($"**/{line}"), $".gitignore's {line} is not in .dockerignore");
    }

    [Fact]
    public void WhatTheDockerfilesBuildFromIsKept()
    {
        // A pattern naming one of these (or everything) would break `dotnet publish` in the image.
        foreach (var needed in new[] { "services", "libs", "contracts", "migrations", "benchmarks", "build", "Directory.Build.props",
                     "Directory.Packages.props", "Directory.Build.targets", "nuget.config", "global.json", "*", "**" })
            Assert.DoesNotContain(needed, Patterns);
    }
}
