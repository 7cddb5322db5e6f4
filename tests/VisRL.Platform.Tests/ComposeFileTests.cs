using System.Diagnostics;
using System.Text.RegularExpressions;

namespace VisRL.Platform.Tests;

/// <summary>docker-compose.yml, alone and with the GPU overlay, is checked by Debian's docker-compose 1.29.2 (infra/validate-compose.sh).</summary>
public class ComposeFileTests
{
    private static readonly string ComposeFile = Path.Combine(RepositoryPaths.Root, "docker-compose.yml");
    private static readonly string GpuOverlay = Path.Combine(RepositoryPaths.Root, "docker-compose.gpu.yml");

    private static (int ExitCode, string Output) Validate(params string[] files)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryPaths.Root, "infra", "validate-compose.sh"), .. files])
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

    [Fact]
    public void TheGpuOverlayIsValidOverTheComposeFile()
    {
        var (exitCode, output) = Validate(ComposeFile, GpuOverlay);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void AnInvalidOverlayIsRejectedWithItsReason()
    {
        var broken = Path.Combine(Path.GetTempPath(), $"compose-gpu-{Guid.NewGuid():N}.yml");
        File.WriteAllText(broken, File.ReadAllText(GpuOverlay).Replace("capabilities: [gpu]", "capabilities: gpu"));
        try
        {
            var (exitCode, output) = Validate(ComposeFile, broken);
            Assert.NotEqual(0, exitCode);
            Assert.Contains("capabilities contains an invalid type", output);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    /// <summary>The base file runs on any Docker host; only the overlay asks for a GPU and the CUDA image.</summary>
    [Fact]
    public void OnlyTheGpuOverlayReservesAGpu()
    {
        var text = File.ReadAllText(ComposeFile);
        Assert.DoesNotContain("driver: nvidia", text);
        Assert.DoesNotContain("trainer.Dockerfile", text);
        Assert.Matches(@"(?m)^\s+VISRL__TORCH__DEVICE: cpu$", text);
        var overlay = File.ReadAllText(GpuOverlay);
        Assert.Contains("capabilities: [gpu]", overlay);
        Assert.Contains("dockerfile: infra/docker/trainer.Dockerfile", overlay);
        Assert.Matches(@"(?m)^\s+VISRL__TORCH__DEVICE: cuda:0$", overlay);
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
        var everyFile = text + File.ReadAllText(GpuOverlay);
        foreach (var service in Directory.GetDirectories(Path.Combine(RepositoryPaths.Root, "services"))
                     .Select(Path.GetFileName).Where(n => n != "VisRL.Cli"))
        {
            var name = service!["VisRL.".Length..].ToLowerInvariant();
            Assert.Matches(new Regex($"^  {name}:$", RegexOptions.Multiline), text);
        }
        foreach (Match m in Regex.Matches(everyFile, @"dockerfile: (\S+?)[,} ]"))
            Assert.True(File.Exists(Path.Combine(RepositoryPaths.Root, m.Groups[1].Value)), $"missing {m.Groups[1].Value}");
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

/// <summary>Consumer settings that keep long model work from being starved or redelivered, in compose and in the local stack.</summary>
public class ConsumerSettingsTests
{
    private static readonly string Compose = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docker-compose.yml"));

    /// <summary>A service's block: from "  name:" to the next top-level key under services.</summary>
    private static string ServiceBlock(string name) =>
        Regex.Match(Compose, $@"^  {name}:\n(.*?)(?=^  \S|^\S)", RegexOptions.Multiline | RegexOptions.Singleline) is { Success: true } m
            ? m.Groups[1].Value : throw new InvalidOperationException($"no service {name} in docker-compose.yml");

    [Theory]
    [InlineData("sampler")]
    [InlineData("critic")]
    [InlineData("trainer")]
    public void ModelServicesPrefetchOneMessageAsInServicesSh(string service)
    {
        Assert.Contains("VISRL__MESSAGING__PREFETCHCOUNT: \"1\"", ServiceBlock(service));
        Assert.Contains("vars[VISRL__MESSAGING__PREFETCHCOUNT]=1", File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra", "services.sh")));
    }

    [Fact]
    public void RabbitMqWaitsADayForAnAcknowledgementInComposeAndTheLocalStack()
    {
        var compose = Regex.Match(ServiceBlock("rabbitmq"), @"-rabbit consumer_timeout (\d+)");
        var stack = Regex.Match(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "infra", "stack.sh")), @"^consumer_timeout = (\d+)$", RegexOptions.Multiline);
        Assert.True(compose.Success, "docker-compose.yml's rabbitmq sets no consumer_timeout");
        Assert.True(stack.Success, "infra/stack.sh's rabbitmq.conf sets no consumer_timeout");
        Assert.Equal(TimeSpan.FromHours(24).TotalMilliseconds, double.Parse(compose.Groups[1].Value));
        Assert.Equal(compose.Groups[1].Value, stack.Groups[1].Value);
    }
}
